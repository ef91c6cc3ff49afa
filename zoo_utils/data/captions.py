"""Image-caption pairs made offline: the images of `mnistm-mini` with captions *generated* from
what is known about each image, its digit and the photo behind it. No one wrote these captions;
they come from a handful of templates, so they say exactly what the labels say, in varied words.
Enough for a CLIP-style page to train and to be tested zero-shot, and no more."""

import numpy as np
import torch

from . import offline
from .registry import load, offline_indices

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
BACKGROUNDS = {"astronaut": "an astronaut", "coffee": "a cup of coffee", "chelsea": "a cat",
               "rocket": "a rocket", "immunohistochemistry": "a tissue slide",
               "retina": "a retina scan", "china": "a temple", "flower": "a flower"}
TEMPLATES = ("a handwritten {digit} on {background}",
             "the digit {digit} over a photo of {background}",
             "{background} behind the number {digit}",
             "a picture of {background} with a {digit} written on it")


def caption(digit, background, template=0):
    return TEMPLATES[template].format(digit=DIGIT_WORDS[digit], background=BACKGROUNDS[background])


def mnistm_captions(split="train", seed=0):
    """(the `split` of `mnistm-mini` as an ImageDataset, one generated caption per image, the
    name of each image's background photo). Each caption's template is drawn at random."""
    images = load("mnistm-mini", split)
    backgrounds = offline.mnistm_backgrounds()[offline_indices("mnistm-mini", split)]
    templates = np.random.default_rng(seed).integers(len(TEMPLATES), size=len(images))
    captions = [caption(int(d), b, t) for d, b, t in zip(images.labels, backgrounds, templates)]
    return images, captions, backgrounds


class WordVocab:
    """Words to ids: 0 pads, 1 is the [CLS] token put first, the rest are the words of every
    template, digit and background."""

    def __init__(self):
        words = {w for t in TEMPLATES for w in t.replace("{digit}", "").replace("{background}", "").split()}
        words |= set(DIGIT_WORDS) | {w for phrase in BACKGROUNDS.values() for w in phrase.split()}
        self.ids = {w: i + 2 for i, w in enumerate(sorted(words))}

    def __len__(self):
        return len(self.ids) + 2

    def encode(self, captions):
        """(n, longest + 1) ids, [CLS] first, padded with 0."""
        rows = [[1] + [self.ids[w] for w in c.split()] for c in captions]
        out = torch.zeros(len(rows), max(map(len, rows)), dtype=torch.long)
        for i, row in enumerate(rows):
            out[i, :len(row)] = torch.tensor(row)
        return out
