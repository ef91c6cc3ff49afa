"""The classification runs whose histories tests/data/fit_history_before_generalising.csv holds,
as `zoo_utils.train.fit` gave them before it took a step function (commit 4aff421).

    python tests/data/record_fit_history.py OUT.csv
"""
import sys
import pandas as pd
import torch
from zoo_utils import data, train
from zoo_utils.data.augment import crop_and_flip
from zoo_utils.models.alexnet import Fig1CNN, SmallAlexNet, scaled_init

def golden_runs():
    train_set = data.load("mnistm-mini").subset(256, seed=0)
    test_set = data.load("mnistm-mini", "test").subset(128, seed=0)
    train.seed_all(3)
    model = Fig1CNN("tanh", widths=(4, 4, 8))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    plain = train.fit(model, train_set, test_set, epochs=2, optimizer=optimizer, batch_size=48,
                      seed=3, device="cpu", progress=False)
    make = lambda: scaled_init(SmallAlexNet(width=4, hidden=16, in_channels=3), "relu")
    (_, dropout_aug), = train.train_seeds(make, [5], train_set, test_set, epochs=2, lr=0.03,
                                          weight_decay=5e-4, warmup_epochs=1, milestones=(8,),
                                          batch_size=32, augment=crop_and_flip(), device="cpu",
                                          progress=False)
    return pd.concat({"plain": plain, "dropout_aug": dropout_aug}).drop(columns="seconds")

if __name__ == "__main__":
    golden_runs().to_csv(sys.argv[1], float_format="%.17g")
