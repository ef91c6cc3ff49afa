"""MoCo (He et al. 2020): contrastive learning as looking up a key in a dictionary. The query
encoder learns by back-propagation; the key encoder follows it by momentum; the dictionary is a
queue of recent keys (Algorithm 1). Beside it, the two mechanisms the paper compares it with
(Fig 2): end-to-end, where the batch is the dictionary, and a memory bank. The pieces live in
`zoo_utils.contrastive`."""

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..contrastive import (MemoryBank, Queue, batch_shuffle, batch_unshuffle, info_nce,
                           info_nce_in_batch, momentum_update, split_batchnorm)


class MoCo(nn.Module):
    """`encoder` maps images to `dim`-dimensional vectors (MoCo v1: a ResNet whose FC has `dim`
    outputs) and has a `features` method for the pooled features under its FC. `bn_splits` > 1
    gives both encoders BatchNorm over that many groups of the batch, as on that many GPUs;
    `shuffle_bn` then sends each key through a different group from its query, MoCo's guard
    against BatchNorm statistics giving away which key is the positive."""

    def __init__(self, encoder, dim=128, K=65536, m=0.999, T=0.07, bn_splits=1, shuffle_bn=True):
        super().__init__()
        self.encoder_q = split_batchnorm(encoder, bn_splits)
        self.encoder_k = copy.deepcopy(self.encoder_q)   # f_k.params = f_q.params
        self.encoder_k.requires_grad_(False)         # no gradient to keys
        self.queue = Queue(K, dim)
        self.m, self.T = m, T
        self.shuffle_bn = shuffle_bn

    def keys(self, x_k):
        with torch.no_grad():
            momentum_update(self.encoder_k, self.encoder_q, self.m)
            if self.shuffle_bn:
                x_k, restore = batch_shuffle(x_k)
            k = F.normalize(self.encoder_k(x_k), dim=1)
            return batch_unshuffle(k, restore) if self.shuffle_bn else k

    def forward(self, x_q, x_k):
        """One step of Algorithm 1 up to the loss: returns the loss and the logits (positive in
        column 0) and enqueues this batch's keys."""
        q = F.normalize(self.encoder_q(x_q), dim=1)
        k = self.keys(x_k)
        loss, logits = info_nce(q, k, self.queue.keys.clone(), self.T)
        self.queue.enqueue_dequeue(k)
        return loss, logits

    def features(self, images):
        """The frozen query encoder's pooled features (its FC layer's input), which the paper's
        linear protocol evaluates; for the k-NN monitor and the linear probe."""
        return self.encoder_q.features(images)


class EndToEnd(nn.Module):
    """Fig 2a: one encoder for queries and keys, both back-propagated; the dictionary is the
    current batch, so K = batch size - 1."""

    def __init__(self, encoder, T=0.07, bn_splits=1):
        super().__init__()
        self.encoder = split_batchnorm(encoder, bn_splits)
        self.T = T

    def forward(self, x_q, x_k):
        q = F.normalize(self.encoder(x_q), dim=1)
        k = F.normalize(self.encoder(x_k), dim=1)
        return info_nce_in_batch(q, k, self.T)

    def features(self, images):
        return self.encoder.features(images)


class MemoryBankContrast(nn.Module):
    """Fig 2b: keys are looked up in a memory bank of every training image's last encoding (the
    positive is the image's own entry), which is then moved toward the new query; K negatives
    are drawn from the bank at random. Needs each image's index in the dataset."""

    def __init__(self, encoder, n_images, dim=128, K=4096, T=0.07, bank_momentum=0.5,
                 bn_splits=1):
        super().__init__()
        self.encoder = split_batchnorm(encoder, bn_splits)
        self.bank = MemoryBank(n_images, dim)
        self.K, self.T, self.bank_momentum = K, T, bank_momentum

    def forward(self, x_q, x_k, indices):
        """`x_k` is unused: the key is the bank's entry; the argument keeps one interface."""
        q = F.normalize(self.encoder(x_q), dim=1)
        k = self.bank.vectors[indices].clone()
        loss, logits = info_nce(q, k, self.bank.sample(self.K), self.T)
        self.bank.update(indices, q, self.bank_momentum)
        return loss, logits

    def features(self, images):
        return self.encoder.features(images)
