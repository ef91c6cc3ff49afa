"""The shared setting of the contrastive survey (InstDisc, InvaSpread, CPC and CMC in the first
stage, SimCLR and its successors in the second, BYOL, SimSiam and DenseCL in the third): one set
of images and views, one encoder, one pre-training recipe and one pair of judges, at a profile's
`zoo_utils.profiles._survey.SurveyConfig`, so the pages' numbers go on one table (`comparison`,
and the summary page of `zoo_utils.survey_summary`). Each page adds only its paper's mechanism."""

import itertools

import pandas as pd
import torch
from torch.utils.data import TensorDataset

from zoo_utils import contrastive, data, features, train
from zoo_utils.data.augment import crop_and_flip
from zoo_utils.results import load_all, mean_sd
from zoo_utils.train import default_device

STAGES = {"first": ("instdisc", "invaspread", "cpc", "cmc"),
          "second": ("simclr", "mocov2", "simclrv2", "swav", "cpcv2", "cmcv2"),
          "third": ("byol", "densecl")}
PREFIX = "Shared evaluation: "   # the claims each page records for the table


def evaluation_claims(saved, profile, seed):
    """The "Shared evaluation: <method>, <judge> accuracy (%)" claims among `saved` (a
    `load_all` frame) at `profile` and `seed`: rows of notebook, method, judge, paper, values."""
    columns = ["notebook", "method", "judge", "paper", "values"]
    if not saved.empty:
        saved = saved[(saved.profile == profile) & (saved.seed == seed) & saved.claim.str.startswith(PREFIX)]
    if saved.empty:
        return pd.DataFrame(columns=columns)
    parts = saved.claim.str.removeprefix(PREFIX).str.split(", ")
    return saved.assign(method=parts.str[0], judge=parts.str[1].str.removesuffix(" accuracy (%)"))[columns]


def comparison(directory, pages, profile, seed, untrained=None):
    """The survey's table: one row per method of `pages`, read from the "Shared evaluation: "
    claims those pages saved under `directory` at `profile` and `seed` (mean +- sd over seeds of
    the k-NN and linear probe, with the paper's number); a page not yet run shows as such. With
    `untrained` (the judges of untrained encoders, one row per seed), a last row for them."""
    saved = evaluation_claims(load_all(directory), profile, seed)
    table = {}
    for page in pages:
        rows = saved[saved.notebook == page]
        if rows.empty:
            table[page] = {"k-NN": "not yet run at this profile and seed"}
        for method, judge_name, paper, values in rows[["method", "judge", "paper", "values"]].itertuples(index=False):
            table.setdefault(method, {"paper (CIFAR-10 or ImageNet)": paper})[judge_name] = mean_sd(values)
    if untrained is not None:
        table["untrained encoder"] = {judge: mean_sd(untrained[judge]) for judge in ("k-NN", "linear probe")}
    columns = ["k-NN", "linear probe", "paper (CIFAR-10 or ImageNet)"]
    return pd.DataFrame(table).T.reindex(columns=columns).fillna("")


class Survey:
    """The first stage's setting: `train_images` (pre-training, then the judges' labelled set),
    `test_images`, the views `augment`, and the methods below, all on `device`."""

    def __init__(self, cfg, seed=0, root=None, device=None):
        self.cfg, self.device = cfg, device or default_device()
        train, test = (data.load(cfg.dataset, split, root=root) for split in ("train", "test"))
        self.train_images = train.subset(cfg.n_train, seed=seed)
        self.test_images = test.subset(cfg.n_test, seed=seed)
        _, self.channels, _, self.size = self.train_images.images.shape
        self.augment = contrastive.view_augmentation(self.size, cfg.recipe,
                                                     crop_scale=cfg.crop_scale)

    def unlabelled(self, indexed=False):
        """The training images without their labels; `indexed`: with each image's index too,
        for a model with a memory bank."""
        images = self.train_images.images
        return TensorDataset(images, *([torch.arange(len(images))] if indexed else []))

    def encoder(self, seed, outputs=None):
        """The survey's encoder, seeded, its last layer giving the `dim`-d vector the losses
        compare, or `outputs` values (the number of classes, for a network trained on labels)."""
        return contrastive.make_encoder(self.cfg.encoder, self.cfg.width, self.channels,
                                        outputs or self.cfg.dim, seed)

    def pretrain(self, model, seed, *, batch_size=None, epochs=None, steps=None, indexed=False,
                 step=None, monitor=None, desc="pre-training", dataset=None, augment=None,
                 schedule="cosine"):
        """The one recipe, for the survey's number of epochs unless `epochs` or `steps` says
        otherwise, on the survey's unlabelled images unless `dataset` is given, with the
        survey's views unless `augment` is given. The learning rate scales with the batch,
        from the survey's rate at its batch size."""
        batch_size = batch_size or self.cfg.batch_size
        dataset = dataset or self.unlabelled(indexed)
        augment = self.augment if augment is None else augment
        return contrastive.pretrain(model, dataset, augment,
                                    epochs=epochs or self.cfg.epochs, steps=steps, schedule=schedule,
                                    lr=self.cfg.lr * batch_size / self.cfg.batch_size,
                                    batch_size=batch_size, weight_decay=self.cfg.weight_decay,
                                    seed=seed, device=self.device, step=step, monitor=monitor,
                                    desc=desc)

    def judge(self, encode, seed, labelled=None, test=None):
        """The linear probe and the weighted k-NN, in %, on the features `encode` gives, trained
        on every training image's label, or on the `labelled` images alone if given, and tested
        on the test images, or on `test` if given."""
        labelled = self.train_images if labelled is None else labelled
        return features.frozen_probes(encode, labelled, self.test_images if test is None else test,
                                      probe_epochs=self.cfg.probe_epochs,
                                      knn_k=min(self.cfg.knn_k, len(labelled)),
                                      seed=seed, device=self.device)

    def knn(self, encode):
        """The weighted k-NN accuracy alone (%), cheap enough to monitor training with."""
        train_f, test_f = (features.embed(encode, s, 500, self.device)
                           for s in (self.train_images, self.test_images))
        return 100 * features.knn_accuracy(train_f, self.train_images.labels, test_f,
                                           self.test_images.labels, k=self.cfg.knn_k)

    def knn_monitor(self, every=1):
        """A `monitor` for `zoo_utils.train.fit`: the k-NN accuracy of `model.features` after
        every `every`-th epoch (nothing after the others)."""
        epochs = itertools.count(1)
        return lambda model: {"k-NN": self.knn(model.features)} if next(epochs) % every == 0 else {}

    def labelled(self, fraction, seed):
        """A class-balanced `fraction` of the training images, with their labels: the few
        labels of the semi-supervised pages."""
        return self.train_images.subset(round(fraction * len(self.train_images)), seed=seed)

    def fit(self, model, images, *, steps, lr, batch_size, seed, desc="training", **fit_kwargs):
        """Train every part of `model` on `images` (labelled, unless `step` says otherwise) for
        `steps` SGD updates on a cosine, with the survey's weight decay, on random shifts of 2
        pixels (no flips: a digit's mirror image is not a digit). Returns it in evaluation mode."""
        train.fit_steps(model, images, steps, lr=lr, batch_size=batch_size,
                        weight_decay=self.cfg.weight_decay, augment=crop_and_flip(2, flip=False),
                        seed=seed, device=self.device, desc=desc, **fit_kwargs)
        return model.eval()

    def accuracy(self, classifier):
        """A classifier's accuracy on the test images, in %."""
        return 100 * (1 - train.evaluate(classifier, self.test_images, device=self.device)["error"])

    def untrained(self, seed):
        """The judges on a freshly initialised encoder: the baseline every method must beat."""
        return self.judge(self.encoder(seed).to(self.device).eval().features, seed)
