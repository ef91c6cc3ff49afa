"""Profiles of the Transformer (Vaswani et al. 2017) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class TransformerPageConfig:
    seeds: tuple
    # the headline: LayerNorm against BatchNorm in a post-norm encoder that sorts digit sequences
    lnbn_norms: tuple = ("layer", "batch", "batch-real")
    lnbn_task: str = "sort"
    lnbn_train_lengths: tuple = (4, 12)
    lnbn_test_lengths: tuple = (2, 18)      # shorter and longer than any seen in training
    lnbn_n_train: int = 4000
    lnbn_n_test: int = 1000
    lnbn_epochs: int = 30
    lnbn_layers: int = 2
    lnbn_d_model: int = 64
    lnbn_heads: int = 4
    lnbn_lr: float = 2e-3
    batch_size: int = 64
    # Shen et al. 2020, Fig 2: batch statistics against running statistics, Transformer and CNN
    cnn_dataset: str = "mnistm-mini"
    cnn_n_train: int | None = 2000
    drift_steps: int = 500                  # both networks are compared over their first steps
    # why divide by sqrt(d_k)
    d_ks: tuple = (4, 16, 64, 256, 1024)
    n_keys: int = 64
    # Table 1 measured: one layer of each kind at width d, sequence lengths n
    table1_d: int = 256
    table1_lengths: tuple = (16, 32, 64, 128, 256, 512, 1024, 2048)
    table1_repeats: int = 5
    # §5 at small scale: an encoder-decoder trained on a synthetic task
    s2s_task: str = "reverse"
    s2s_lengths: tuple = (3, 10)
    s2s_n_train: int = 18000
    s2s_n_test: int = 500
    s2s_epochs: int = 15
    s2s_dropout: float = 0.0                # the paper's 0.1 regularises a fixed corpus; see the page
    s2s_layers: int = 2
    s2s_d_model: int = 64
    s2s_heads: int = 4
    s2s_warmup: int = 400
    minutes: str = ""


PROFILES = {
    "smoke": TransformerPageConfig(seeds=(0, 1), lnbn_n_train=256, lnbn_n_test=128, lnbn_epochs=1,
                                   lnbn_d_model=16, lnbn_heads=2, cnn_n_train=256, drift_steps=8, d_ks=(4, 64),
                                   table1_d=32, table1_lengths=(8, 32), table1_repeats=1,
                                   s2s_n_train=256, s2s_n_test=32, s2s_epochs=1, s2s_d_model=16,
                                   s2s_heads=2, s2s_warmup=10, minutes="under a minute"),
    "cpu": TransformerPageConfig(seeds=(0, 1, 2, 3, 4), minutes="about 15 minutes on 2 cores"),
    # no translation corpus can be read offline, so the gpu profile runs the same experiments at
    # the base model's width and longer sequences; BLEU stays unassessed
    "gpu": TransformerPageConfig(seeds=(0, 1, 2, 3, 4), lnbn_train_lengths=(8, 48),
                                 lnbn_test_lengths=(4, 64), lnbn_n_train=50000, lnbn_n_test=5000,
                                 lnbn_epochs=30, lnbn_layers=6, lnbn_d_model=512, lnbn_heads=8,
                                 lnbn_lr=3e-4, batch_size=128, cnn_n_train=None,
                                 table1_d=512, table1_lengths=(32, 64, 128, 256, 512, 1024, 2048, 4096),
                                 s2s_lengths=(8, 40), s2s_n_train=50000, s2s_n_test=2000,
                                 s2s_epochs=30, s2s_layers=6, s2s_d_model=512, s2s_heads=8,
                                 s2s_dropout=0.1, s2s_warmup=4000, drift_steps=2000, minutes="about an hour on one GPU (an estimate)"),
}
