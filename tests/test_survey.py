"""The shared setting of the contrastive survey's first stage (zoo_utils/survey.py)."""

from dataclasses import replace

import pandas as pd
import torch

from zoo_utils import profiles
from zoo_utils.models.invaspread import InvaSpread
from zoo_utils.profiles._survey import SURVEY
from zoo_utils.results import Results
from zoo_utils.survey import STAGES, Survey, comparison

TINY = replace(SURVEY["smoke"], n_train=48, n_test=24, epochs=2, batch_size=16, knn_k=5,
               probe_epochs=1)


def test_survey_loads_its_images_without_labels_and_with_indices_for_a_bank():
    survey = Survey(TINY, device="cpu")
    assert len(survey.train_images) == 48 and len(survey.test_images) == 24
    assert len(survey.unlabelled()[0]) == 1                   # the images alone
    images, index = survey.unlabelled(indexed=True)[5]
    assert torch.equal(images, survey.train_images.images[5]) and index == 5
    views = survey.augment(survey.train_images.images[:4])
    assert views.shape == survey.train_images.images[:4].shape


def test_survey_pretrains_with_the_learning_rate_scaled_to_the_batch():
    survey = Survey(TINY, device="cpu")
    _, history = survey.pretrain(InvaSpread(survey.encoder(0)), seed=0, batch_size=8)
    assert len(history) == 2 and history.lr.iloc[0] == TINY.lr * 8 / 16
    _, short = survey.pretrain(InvaSpread(survey.encoder(0)), seed=0, steps=2,
                               monitor=survey.knn_monitor())
    assert len(short) == 1 and 0 <= short["k-NN"].iloc[0] <= 100
    _, sparse = survey.pretrain(InvaSpread(survey.encoder(0)), seed=0, epochs=3,
                                monitor=survey.knn_monitor(every=2))
    assert sparse["k-NN"].isna().tolist() == [True, False, True]


def test_survey_judges_an_encoder_and_its_untrained_baseline_is_seeded():
    survey = Survey(TINY, device="cpu")
    a, b = survey.untrained(3), survey.untrained(3)
    assert a == b and set(a) == {"k-NN", "linear probe"}
    assert all(0 <= v <= 100 for v in a.values())


def test_every_survey_page_shares_the_survey_config_of_its_profile():
    for page in ("instdisc", "invaspread", "simclr", "mocov2", "simclrv2", "swav", "cpcv2", "cmcv2", "byol",
                 "densecl"):
        for name in profiles.PROFILE_NAMES:
            assert profiles.get(page, name).survey == SURVEY[name], (page, name)


def test_gpu_profiles_of_the_survey_take_a_step_on_cifar_shapes():
    """Each page's gpu settings (the CIFAR ResNet-18, CIFAR-10's 50,000 images in the bank,
    the paper-scale K and widths) build and take one optimisation step on a few 32 x 32 images."""
    from zoo_utils import contrastive as C
    from zoo_utils.data.signals import switching_tones
    from zoo_utils.models import cmc, cpc, mocov2, resnet, swav
    from zoo_utils.models.byol import BYOL
    from zoo_utils.models.cmcv2 import crops_at_distance
    from zoo_utils.models.cpcv2 import CPCv2
    from zoo_utils.models.densecl import DenseCL
    from zoo_utils.models.instdisc import InstDisc
    from zoo_utils.models.simclr import SimCLR
    from zoo_utils.models.simclrv2 import SimCLRv2

    survey = SURVEY["gpu"]
    encoder = lambda channels=3: C.make_encoder(survey.encoder, survey.width, channels, survey.dim)
    images = torch.rand(4, 3, 32, 32)
    inst = profiles.get("instdisc", "gpu")
    c1d = profiles.get("cpc", "gpu")
    signals, _ = switching_tones(2, steps=c1d.steps, samples_per_step=c1d.samples_per_step)
    cpc_cfg = profiles.get("cpc", "gpu")
    cmc_cfg = profiles.get("cmc", "gpu")
    v2 = profiles.get("mocov2", "gpu")
    sv2, sw, c2, im, by, dcl = (profiles.get(page, "gpu")
                                for page in ("simclrv2", "swav", "cpcv2", "cmcv2", "byol", "densecl"))
    steps = [
        lambda: InstDisc(encoder(), 50_000, survey.dim, m=inst.m, T=inst.T,
                         proximal=inst.proximal)(images, torch.arange(4))[0],
        lambda: InvaSpread(encoder(), T=profiles.get("invaspread", "gpu").T)(images, images.flip(3))[0],
        lambda: cpc.CPCImage(encoder(), survey.dim, cpc_cfg.patch, cpc_cfg.K, chunk=cpc_cfg.chunk)(images),
        lambda: cpc.CPC1D(c1d.dim_1d, c1d.dim_1d, c1d.K_1d, c1d.samples_per_step, c1d.chunk)(signals),
        lambda: cmc.CMC(encoder, cmc_cfg.more_views, cmc_cfg.T)(images)[0],
        lambda: SimCLR(encoder(), dim=survey.dim, temperature=profiles.get("simclr", "gpu").temperature)(images, images.flip(3))[0],
        lambda: mocov2.moco(encoder(), mocov2.TABLE_1[-1], K=v2.K, m=v2.m, bn_splits=2)(images, images.flip(3))[0],
        lambda: SimCLRv2(encoder(), sv2.depth, survey.dim, sv2.temperature)(images, images.flip(3))[0],
        lambda: swav.SwAV(encoder(), survey.dim, sw.n_prototypes, sw.temperature, sw.epsilon, sw.iterations)(
            swav.multi_crop(sw.global_size, survey.crop_scale, sw.n_local, sw.local_size, sw.local_scale)(images))[0],
        lambda: CPCv2(resnet.replace_norm(encoder(), "layer"), survey.dim, c2.patch, c2.K, c2.directions,
                      chunk=c2.chunk, stride=c2.stride)(images),
        lambda: SimCLR(encoder(), dim=survey.dim)(*crops_at_distance(images, im.crop, max(im.distances)))[0],
        lambda: BYOL(encoder(), survey.dim, by.hidden, tau=by.tau)(images, images.flip(3))[0],
        lambda: DenseCL(encoder(), survey.dim, K=dcl.K, m=dcl.m, lam=dcl.lam, grid=dcl.grid,
                        bn_splits=2)(images, images.flip(3))[0],
    ]
    for loss_of in steps:
        loss = loss_of()
        loss.backward()
        assert torch.isfinite(loss)


def test_survey_pretrains_on_another_dataset_when_given_one():
    from torch.utils.data import TensorDataset

    survey = Survey(TINY, device="cpu")
    few = TensorDataset(survey.train_images.images[:16])
    _, history = survey.pretrain(InvaSpread(survey.encoder(0)), seed=0, batch_size=8, steps=3,
                                 dataset=few)
    assert len(history) == 2                                  # 2 steps of 16 images, then 1


def test_the_comparison_reads_each_pages_shared_evaluation_at_its_profile_and_seed(tmp_path):
    for page, seed, knn in [("instdisc", 0, [40.0, 42.0]), ("simclr", 0, [50.0, 54.0]),
                            ("simclr", 20, [10.0, 10.0])]:
        results = Results(page, "cpu", seed=seed)
        results.record(f"Shared evaluation: {page.upper()}, k-NN accuracy (%)", "paper 1",
                       knn, "not assessed")
        results.record("another claim", "", [1.0], "reproduced")
        results.save(tmp_path / f"seed{seed}")
    untrained = pd.DataFrame({"k-NN": [17.0, 19.0], "linear probe": [30.0, 30.0]})
    table = comparison(tmp_path, ["instdisc", "cpc", "simclr"], "cpu", 0, untrained=untrained)
    assert list(table.index) == ["INSTDISC", "cpc", "SIMCLR", "untrained encoder"]
    assert table.loc["untrained encoder", "linear probe"] == "30.0 ± 0.0"
    assert table.loc["SIMCLR", "k-NN"] == "52.0 ± 2.8"
    assert table.loc["INSTDISC", "paper (CIFAR-10 or ImageNet)"] == "paper 1"
    assert table.loc["cpc", "k-NN"].startswith("not yet run")
    assert set(STAGES["first"]).isdisjoint(STAGES["second"])


def test_survey_trains_a_classifier_on_a_balanced_fraction_of_the_labels():
    survey = Survey(TINY, device="cpu")
    labelled = survey.labelled(0.25, seed=0)
    assert len(labelled) == 12 and labelled.labels.bincount().max() <= 2
    classifier = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 10))
    survey.fit(classifier, survey.train_images, steps=60, lr=0.05, batch_size=16, seed=0)
    assert not classifier.training and 0 <= survey.accuracy(classifier) <= 100
    from zoo_utils import train
    assert train.evaluate(classifier, survey.train_images)["error"] < 0.5   # it fits what it saw
