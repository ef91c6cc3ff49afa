"""Profiles of the GPT-1/2/3 (Radford et al. 2018, 2019; Brown et al. 2020) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class GPTPageConfig:
    seeds: tuple
    corpus: str = "python-prose"     # the offline corpus: zoo_utils.data.text
    vocab_size: int = 2048           # byte-level BPE trained on the corpus (plus 4 special tokens)
    block: int = 64                  # context window of the corpus models
    blocks: int | None = None        # None: the whole corpus; else its first blocks (smoke)
    layers: int = 4
    d_model: int = 128
    heads: int = 4
    dropout: float = 0.1
    epochs: int = 10                 # corpus pre-training (GPT-1 and the samples)
    batch_size: int = 64
    lr: float = 5e-4                 # Adam, linear warm-up, cosine decay
    warmup_epochs: int = 1
    # GPT-1: fine-tuning with and without the auxiliary LM loss
    labels: int = 200
    finetune_epochs: int = 10
    finetune_lr: float = 1e-4
    aux_weight: float = 0.5          # lambda of eq. 5
    # GPT-2: post-LN against pre-LN as depth grows, without warm-up
    ln_depths: tuple = (2, 6, 12)
    ln_d_model: int = 64
    ln_lr: float = 1e-3
    ln_steps: int = 200
    # GPT-3: the scaling study (widths at a fixed token budget) and in-context learning
    scaling_widths: tuple = (16, 32, 64, 128)
    scaling_layers: int = 2
    scaling_epochs: int = 4
    icl_p: int = 11                  # functions y = (a x + b) mod p
    icl_family: str = "affine"       # or "shift" (a = 1): zoo_utils.data.sequences
    icl_examples: int = 8
    icl_sequences: int = 20000
    icl_layers: int = 2
    icl_d_model: int = 64
    icl_epochs: int = 10
    minutes: str = ""


PROFILES = {
    "smoke": GPTPageConfig(seeds=(0, 1), vocab_size=512, block=32, blocks=256, layers=1,
                           d_model=32, heads=2, epochs=1, warmup_epochs=0, labels=64,
                           finetune_epochs=1, ln_depths=(1, 2), ln_d_model=16, ln_steps=5, scaling_widths=(8, 16),
                           scaling_layers=1, scaling_epochs=1, icl_p=5, icl_examples=4,
                           icl_sequences=256, icl_layers=1, icl_d_model=16, icl_epochs=1,
                           minutes="under a minute"),
    # cpu: the corpus model has the BERT page's shape and recipe (two layers, batch 32, lr 1e-3,
    # 10 epochs), so that the two pages' fine-tuning numbers can be set side by side
    "cpu": GPTPageConfig(seeds=(0, 1, 2), layers=2, batch_size=32, lr=1e-3, epochs=10,
                         finetune_lr=3e-4, ln_steps=150, minutes="about 20 minutes on 2 cores"),
    "gpu": GPTPageConfig(seeds=(0, 1, 2), vocab_size=8192, block=256, layers=12, d_model=768,
                         heads=12, epochs=40, batch_size=128, lr=2.5e-4, warmup_epochs=4,
                         ln_depths=(6, 12, 24, 48), ln_d_model=256, ln_steps=2000,
                         scaling_widths=(64, 128, 256, 512, 1024), scaling_layers=6,
                         scaling_epochs=10, icl_p=23, icl_examples=16, icl_sequences=200000,
                         icl_layers=8, icl_d_model=256, icl_epochs=20,
                         minutes="about three hours on one GPU (an estimate)"),
}
