"""The self-supervised toolkit (`zoo_utils.contrastive`) and MoCo, against lightly and by hand."""

import math

import pytest
import torch
import torch.nn.functional as F
from helpers import unit
from lightly.loss import NTXentLoss
from lightly.loss.memory_bank import MemoryBankModule
from lightly.models.utils import update_momentum
from torch import nn
from torch.utils.data import TensorDataset

from zoo_utils import contrastive as C
from zoo_utils import train
from zoo_utils.models import resnet
from zoo_utils.models.moco import EndToEnd, MemoryBankContrast, MoCo


@pytest.mark.parametrize("recipe", sorted(C.RECIPES))
def test_views_keep_shape_and_differ_per_image(recipe):
    torch.manual_seed(0)
    image = torch.rand(3, 32, 32)
    views = C.view_augmentation(24, recipe)(image.expand(8, -1, -1, -1))
    assert views.shape == (8, 3, 24, 24) and views.device == image.device
    assert torch.isfinite(views).all()
    flat = views.flatten(1)
    assert (torch.cdist(flat, flat) + torch.eye(8)).min() > 1e-3   # no two views alike


def test_views_follow_the_global_seed():
    augment, images = C.view_augmentation(16), torch.rand(4, 3, 16, 16)
    torch.manual_seed(3)
    first = augment(images)
    torch.manual_seed(3)
    assert torch.equal(first, augment(images))


def test_crop_scale_overrides_the_recipe():
    def crop_areas(crop_scale):
        torch.manual_seed(0)
        crop = C.view_augmentation(32, "mocov2", crop_scale=crop_scale)[0]
        crop(torch.rand(500, 3, 32, 32))
        box = crop._params["src"]                                  # corners of each crop
        sides = box[:, 2] - box[:, 0] + 1
        return sides[:, 0] * sides[:, 1] / 32 ** 2

    assert crop_areas(None).min() < 0.3                            # the recipe's (0.2, 1)
    assert crop_areas((0.5, 1.0)).min() > 0.45                     # pixel rounding aside
    image = torch.rand(2, 3, 32, 32)
    whole = C.view_augmentation(32, flip=False, crop_scale=(1.0, 1.0))[0]
    assert torch.allclose(whole(image), image, atol=1e-4)


def test_unknown_recipe_names_the_known_ones():
    with pytest.raises(ValueError, match="mocov2"):
        C.view_augmentation(32, "byol")


def test_info_nce_by_hand():
    q = k = torch.tensor([[1.0, 0.0]])
    queue = torch.tensor([[0.0, 1.0]])
    loss, logits = C.info_nce(q, k, queue, temperature=0.5)
    assert torch.allclose(logits, torch.tensor([[2.0, 0.0]]))
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-2)))


def test_info_nce_matches_lightly_ntxent_with_a_memory_bank():
    q, k, queue = unit(16, 8, seed=1), unit(16, 8, seed=2), unit(64, 8, seed=3)
    oracle = NTXentLoss(temperature=0.07, memory_bank_size=(64, 8))
    oracle.memory_bank.bank = queue.clone()
    ours, _ = C.info_nce(q, k, queue, temperature=0.07)
    assert ours.item() == pytest.approx(oracle(q, k).item(), rel=1e-5)


def test_in_batch_info_nce_is_cross_entropy_over_the_batch():
    q, k = unit(6, 4, seed=4), unit(6, 4, seed=5)
    loss, logits = C.info_nce_in_batch(q, k, temperature=0.2)
    assert logits.shape == (6, 6)
    assert loss.item() == pytest.approx(F.cross_entropy(q @ k.T / 0.2, torch.arange(6)).item())
    same = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert C.info_nce_in_batch(same, same, 1.0)[0].item() == pytest.approx(math.log(1 + math.exp(-1)))


def test_memory_bank_moves_only_the_batchs_entries():
    bank = C.MemoryBank(10, 3)
    before = bank.vectors.clone()
    new = unit(2, 3, seed=6)
    bank.update(torch.tensor([2, 7]), new, momentum=0.0)
    assert torch.allclose(bank.vectors[[2, 7]], new)
    keep = [i for i in range(10) if i not in (2, 7)]
    assert torch.equal(bank.vectors[keep], before[keep])
    other = unit(1, 3, seed=7)
    bank.update(torch.tensor([2]), other, momentum=0.5)
    assert torch.allclose(bank.vectors[2], F.normalize(0.5 * new[0] + 0.5 * other[0], dim=0))
    assert bank.sample(5, torch.Generator().manual_seed(0)).shape == (5, 3)


def test_queue_replaces_the_oldest_keys_and_wraps():
    queue = C.Queue(5, 2)
    a, b = torch.arange(6.0).view(3, 2), 10 + torch.arange(6.0).view(3, 2)
    queue.enqueue_dequeue(a)
    queue.enqueue_dequeue(b)
    assert torch.equal(queue.keys, torch.stack([b[2], a[1], a[2], b[0], b[1]]))
    assert queue.pointer.item() == 1
    with pytest.raises(ValueError, match="does not fit"):
        queue.enqueue_dequeue(torch.zeros(6, 2))


def test_queue_matches_lightly_memory_bank():
    ours, oracle = C.Queue(12, 4), MemoryBankModule((12, 4))
    for step in range(7):
        keys = unit(4, 4, seed=step)
        ours.enqueue_dequeue(keys)
        oracle(keys, update=True)
    assert torch.equal(ours.keys, oracle.bank)


def test_momentum_update_matches_lightly_and_its_limits():
    torch.manual_seed(0)
    query, key = nn.Linear(4, 3), nn.Linear(4, 3)
    reference = [p.clone() for p in key.parameters()]
    C.momentum_update(key, query, 0.9)
    for p, before, q in zip(key.parameters(), reference, query.parameters()):
        assert torch.allclose(p, 0.9 * before + 0.1 * q)
    oracle = nn.Linear(4, 3)
    oracle.load_state_dict(dict(zip(["weight", "bias"], reference)))
    update_momentum(query, oracle, 0.9)
    assert all(torch.allclose(a, b) for a, b in zip(key.parameters(), oracle.parameters()))
    C.momentum_update(key, query, 0.0)
    assert all(torch.equal(a, b) for a, b in zip(key.parameters(), query.parameters()))


def test_split_batchnorm_normalises_each_group_on_its_own():
    torch.manual_seed(0)
    x = torch.randn(12, 5, 3, 3) * 4 + 2
    split = C.SplitBatchNorm(5, num_splits=3)
    nn.init.uniform_(split.weight)
    nn.init.uniform_(split.bias)
    groups = [nn.BatchNorm2d(5) for _ in range(3)]
    for bn in groups:
        bn.load_state_dict(split.state_dict())
    expected = torch.cat([bn(part) for bn, part in zip(groups, x.chunk(3))])
    assert torch.allclose(split(x), expected, atol=1e-5)
    assert torch.allclose(split.running_mean, torch.stack([bn.running_mean for bn in groups]).mean(0))
    assert torch.allclose(split.running_var, torch.stack([bn.running_var for bn in groups]).mean(0))
    split.eval()
    groups[0].eval()
    groups[0].load_state_dict(split.state_dict())
    assert torch.allclose(split(x), groups[0](x))
    with pytest.raises(ValueError, match="equal groups"):
        split.train()(torch.randn(10, 5, 3, 3))


def test_split_batchnorm_conversion_keeps_a_trained_net():
    torch.manual_seed(0)
    net = resnet.cifar_resnet(8, width=4)
    net.train()(torch.randn(16, 3, 8, 8))          # give the running statistics values
    net.eval()
    x = torch.randn(4, 3, 8, 8)
    before = net(x)
    C.split_batchnorm(net, 4)
    assert sum(isinstance(m, C.SplitBatchNorm) for m in net.modules()) == 7
    assert not any(type(m) is nn.BatchNorm2d for m in net.modules())
    assert torch.allclose(net(x), before, atol=1e-6)


def test_batch_shuffle_is_undone_by_unshuffle():
    x = torch.arange(10.0)[:, None]
    shuffled, restore = C.batch_shuffle(x, torch.Generator().manual_seed(0))
    assert not torch.equal(shuffled, x)
    assert torch.equal(torch.sort(shuffled[:, 0]).values, x[:, 0])
    assert torch.equal(C.batch_unshuffle(shuffled, restore), x)


@pytest.mark.parametrize("splits, shuffle", [(1, False), (4, False), (4, True)])
def test_moco_step(splits, shuffle):
    torch.manual_seed(0)
    model = MoCo(resnet.cifar_resnet(8, width=4, num_classes=16), dim=16, K=32, m=0.0, T=0.2,
                 bn_splits=splits, shuffle_bn=shuffle)
    x = torch.rand(8, 3, 16, 16)
    old_keys = model.queue.keys.clone()
    loss, logits = model(x, x.flip(-1))
    assert logits.shape == (8, 33) and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is None for p in model.encoder_k.parameters())
    assert all(p.grad is not None for p in model.encoder_q.parameters())
    # m = 0: the key encoder is a copy of the query encoder; this batch's keys went into slots 0-7
    assert all(torch.equal(a, b) for a, b in zip(model.encoder_k.parameters(),
                                                 model.encoder_q.parameters()))
    assert model.queue.pointer.item() == 8
    assert torch.equal(model.queue.keys[8:], old_keys[8:])
    assert torch.allclose(model.queue.keys[:8].norm(dim=1), torch.ones(8))


def test_contrastive_step_trains_with_the_one_loop():
    torch.manual_seed(0)
    model = MoCo(resnet.cifar_resnet(8, width=4, num_classes=8), dim=8, K=16, m=0.9, T=0.2,
                 bn_splits=2)
    data = TensorDataset(torch.rand(32, 3, 16, 16))
    modes = []
    history = train.fit(model, data, epochs=2, step=C.contrastive_step(C.view_augmentation(16)),
                        optimizer=torch.optim.SGD(model.parameters(), lr=0.05), batch_size=8,
                        progress=False,
                        monitor=lambda m: modes.append(m.training) or {"calls": len(modes)})
    assert list(history.columns[:2]) == ["train_loss", "train_pretext accuracy"]
    assert history.train_loss.notna().all()
    assert modes == [False, False] and history.calls.tolist() == [1, 2] and model.training


def test_gpu_profile_moco_takes_a_step_on_cifar_shapes():
    """The MoCo page's gpu settings: the CIFAR ResNet-18, K = 4096, BatchNorm in 8 groups."""
    from zoo_utils import profiles
    cfg = profiles.get("moco", "gpu")
    model = MoCo(resnet.resnet18_cifar(num_classes=cfg.dim), dim=cfg.dim, K=cfg.K, m=cfg.m,
                 T=cfg.T, bn_splits=cfg.bn_splits)
    optimizer = torch.optim.SGD(model.encoder_q.parameters(), lr=cfg.lr, momentum=0.9,
                                weight_decay=cfg.weight_decay)
    step = C.contrastive_step(C.view_augmentation(32, cfg.recipe))
    outputs = step(model, (torch.rand(16, 3, 32, 32),))
    outputs["loss"].backward()
    optimizer.step()
    assert torch.isfinite(outputs["loss"]) and model.queue.pointer.item() == 16
    assert model.eval().features(torch.rand(2, 3, 32, 32)).shape == (2, 512)


def test_end_to_end_and_memory_bank_mechanisms_train_with_the_one_loop():
    torch.manual_seed(0)
    images = torch.rand(32, 3, 16, 16)
    step = C.contrastive_step(C.view_augmentation(16))
    end_to_end = EndToEnd(resnet.cifar_resnet(8, width=4, num_classes=8), T=0.2, bn_splits=2)
    loss, logits = end_to_end(images[:8], images[:8])
    assert logits.shape == (8, 8)
    loss.backward()
    assert all(p.grad is not None for p in end_to_end.parameters())
    bank_model = MemoryBankContrast(resnet.cifar_resnet(8, width=4, num_classes=8), n_images=32,
                                    dim=8, K=16, T=0.2)
    before = bank_model.bank.vectors.clone()
    history = train.fit(bank_model, TensorDataset(images, torch.arange(32)), epochs=1, step=step,
                        optimizer=torch.optim.SGD(bank_model.parameters(), lr=0.05),
                        batch_size=8, progress=False)
    assert history.train_loss.notna().all()
    assert not torch.isclose(bank_model.bank.vectors, before).all(1).any()   # every entry moved


def test_survey_encoder_is_seeded_and_gives_the_compared_vector():
    a = C.make_encoder("resnet8", 4, channels=1, dim=16, seed=3)
    b = C.make_encoder("resnet8", 4, channels=1, dim=16, seed=3)
    x = torch.rand(2, 1, 28, 28)
    assert a.eval()(x).shape == (2, 16)
    torch.testing.assert_close(a(x), b.eval()(x))
    assert a.features(x).shape == (2, 4 * 4)                 # the pooled features before the FC
    with pytest.raises(ValueError, match="encoder"):
        C.make_encoder("vit", 4, channels=1, dim=16)


def test_survey_pretrain_runs_the_one_recipe_and_returns_the_model_for_evaluation():
    encoder = C.make_encoder("resnet8", 4, channels=3, dim=8, seed=0)
    model = EndToEnd(encoder, T=0.2)
    augment = C.view_augmentation(16)
    images = TensorDataset(torch.rand(32, 3, 16, 16))
    trained, history = C.pretrain(model, images, augment, epochs=2, lr=0.05, batch_size=16,
                                  device="cpu", desc="test")
    assert trained is model and not trained.training
    assert list(history.index) == [1, 2] and {"train_loss", "train_pretext accuracy"} <= set(history.columns)
    assert history.lr.iloc[1] < history.lr.iloc[0]           # the cosine schedule


def test_survey_pretrain_can_count_its_budget_in_steps():
    model = EndToEnd(C.make_encoder("resnet8", 4, channels=3, dim=8, seed=0), T=0.2)
    images = TensorDataset(torch.rand(32, 3, 16, 16))
    _, history = C.pretrain(model, images, C.view_augmentation(16), epochs=99, lr=0.05,
                            batch_size=16, device="cpu", desc="test", steps=3)
    assert list(history.index) == [1, 2]                     # 2 steps, then 1 of the second epoch
