"""Profiles of the BERT (Devlin et al. 2019) notebook."""

from dataclasses import dataclass


@dataclass(frozen=True)
class BertPageConfig:
    seeds: tuple
    corpus: str = "python-prose"     # the offline corpus: zoo_utils.data.text
    vocab_size: int = 2048           # byte-level BPE trained on the corpus (plus 4 special tokens)
    max_len: int = 64                # tokens per sentence pair
    layers: int = 4                  # L
    d_model: int = 128               # H
    heads: int = 4                   # A
    d_ff: int = 512                  # 4H
    dropout: float = 0.1
    epochs: int = 20                 # pre-training passes over the sentence pairs
    batch_size: int = 64
    lr: float = 5e-4                 # Adam (0.9, 0.999), weight decay 0.01, warm-up then decay
    warmup_epochs: int = 2
    labels: int = 200                # labelled paragraphs for fine-tuning ("few labels")
    finetune_epochs: int = 10
    finetune_lr: float = 1e-4
    minutes: str = ""


PROFILES = {
    "smoke": BertPageConfig(seeds=(0, 1), vocab_size=512, max_len=32, layers=1, d_model=32, heads=2,
                            d_ff=64, epochs=1, warmup_epochs=0, labels=64, finetune_epochs=1,
                            minutes="under a minute"),
    # cpu: two layers, batch 32 and lr 1e-3 (940 steps, about 14 s an epoch). At four layers,
    # batch 64 and 6 epochs (280 steps), the masked LM had not left the unigram stage
    # (7.8% masked-token accuracy, next-sentence prediction at chance).
    "cpu": BertPageConfig(seeds=(0, 1, 2), layers=2, batch_size=32, lr=1e-3, epochs=10,
                          warmup_epochs=1, finetune_lr=3e-4, minutes="about 20 minutes on 2 cores"),
    "gpu": BertPageConfig(seeds=(0, 1, 2), vocab_size=8192, max_len=128, layers=12, d_model=768,
                          heads=12, d_ff=3072, epochs=40, batch_size=128, lr=1e-4, warmup_epochs=4,
                          minutes="about an hour on one GPU (an estimate)"),
}
