"""Neural ordinary differential equations (Chen, Rubanova, Bettencourt and Duvenaud, NeurIPS
2018): instead of a stack of residual blocks h <- h + f(h), a hidden state that flows
continuously, dh/dt = f(h(t), t), from t = 0 to t = 1, solved by an adaptive ODE solver
(`torchdiffeq`, the authors' library). Gradients come either by backpropagating through the
solver's steps or by the adjoint method, which solves a second ODE backwards in time and needs
no stored activations (constant memory in depth).

Here: the ODE block and its residual counterpart for image classification (§3, the MNIST
experiment), a counter of the dynamics' function evaluations, and the two flows of §4: the
planar flow (a stack of discrete layers) and its continuous version, whose log-density changes
by minus the trace of the dynamics' Jacobian."""

import torch
from torch import nn
from torchdiffeq import odeint, odeint_adjoint


def norm(channels):
    return nn.GroupNorm(min(32, channels), channels)


class ConcatConv2d(nn.Module):
    """A 3 x 3 convolution that also sees the time t, as one extra constant input channel."""

    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels + 1, channels, 3, padding=1)

    def forward(self, t, x):
        return self.conv(torch.cat([torch.ones_like(x[:, :1]) * t, x], 1))


class ODEFunc(nn.Module):
    """f(h, t): norm, ReLU, convolution, twice, then a norm. `nfe` counts its evaluations."""

    def __init__(self, channels):
        super().__init__()
        self.norm1, self.conv1 = norm(channels), ConcatConv2d(channels)
        self.norm2, self.conv2 = norm(channels), ConcatConv2d(channels)
        self.norm3 = norm(channels)
        self.nfe = 0

    def forward(self, t, h):
        self.nfe += 1
        h = self.conv1(t, torch.relu(self.norm1(h)))
        h = self.conv2(t, torch.relu(self.norm2(h)))
        return self.norm3(h)


class ODEBlock(nn.Module):
    """h(1) from h(0) by an adaptive solver (dopri5) at tolerance `tol`, or, with `steps`, by
    that many fixed fourth-order Runge-Kutta steps (a network of known depth). `adjoint`
    chooses the gradient: the adjoint method (True) or backpropagation through the solver."""

    def __init__(self, func, tol=1e-3, adjoint=False, steps=None):
        super().__init__()
        self.func, self.tol, self.adjoint, self.steps = func, tol, adjoint, steps

    def forward(self, h, times=(0.0, 1.0)):
        solve = odeint_adjoint if self.adjoint else odeint
        t = torch.tensor(times, dtype=h.dtype, device=h.device)
        if self.steps:
            step = {"method": "rk4", "options": {"step_size": (times[1] - times[0]) / self.steps}}
            if self.adjoint:
                step["adjoint_method"], step["adjoint_options"] = step["method"], step["options"]
            return solve(self.func, h, t, **step)[-1]
        return solve(self.func, h, t, rtol=self.tol, atol=self.tol, method="dopri5")[-1]


def saved_activation_bytes(loss_of):
    """Bytes of the tensors autograd keeps for the backward pass while `loss_of()` runs: the
    memory that grows with depth when backpropagating through a network (or a solver)."""
    total = 0

    def pack(tensor):
        nonlocal total
        total += tensor.numel() * tensor.element_size()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        loss_of()
    return total


class ResidualBlock(nn.Module):
    """The discrete counterpart: h + f(h), with the same f (its time input fixed at 0)."""

    def __init__(self, channels):
        super().__init__()
        self.f = ODEFunc(channels)

    def forward(self, h):
        return h + self.f(0.0, h)


class ODENet(nn.Module):
    """The paper's MNIST classifier: a downsampling stem (28 -> 6 pixels), a middle that is
    either one ODE block or `n_blocks` residual blocks (the ResNet of Table 1), and a pooled
    linear head."""

    def __init__(self, in_channels=1, width=64, num_classes=10, middle="ode", n_blocks=6,
                 tol=1e-3, adjoint=False):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3), norm(width), nn.ReLU(),
            nn.Conv2d(width, width, 4, stride=2, padding=1), norm(width), nn.ReLU(),
            nn.Conv2d(width, width, 4, stride=2, padding=1))
        if middle == "ode":
            self.middle = ODEBlock(ODEFunc(width), tol=tol, adjoint=adjoint)
        elif middle == "resnet":
            self.middle = nn.Sequential(*[ResidualBlock(width) for _ in range(n_blocks)])
        else:
            raise ValueError(f"unknown middle {middle!r}; choose 'ode' or 'resnet'")
        self.head = nn.Sequential(norm(width), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(width, num_classes))

    def forward(self, x):
        return self.head(self.middle(self.stem(x)))

    @property
    def nfe(self):
        """Function evaluations of the ODE block since the counter was last reset."""
        return self.middle.func.nfe if isinstance(self.middle, ODEBlock) else 0

    def reset_nfe(self):
        if isinstance(self.middle, ODEBlock):
            self.middle.func.nfe = 0


class PlanarFlow(nn.Module):
    """K planar layers (Rezende and Mohamed 2015), z <- z + u tanh(w.z + b), each with
    log|det| = log|1 + u.psi|, psi = (1 - tanh^2(w.z + b)) w; u is adjusted so that w.u >= -1
    and every layer stays invertible. `forward(z)` returns the flowed z and the summed log|det|."""

    def __init__(self, dim=2, K=8):
        super().__init__()
        self.w = nn.Parameter(torch.randn(K, dim) * 0.1)
        self.u = nn.Parameter(torch.randn(K, dim) * 0.1)
        self.b = nn.Parameter(torch.zeros(K))

    def forward(self, z):
        log_det = torch.zeros(len(z), device=z.device)
        for w, u, b in zip(self.w, self.u, self.b):
            wu = w @ u
            u_hat = u + (nn.functional.softplus(wu) - 1 - wu) * w / (w @ w)
            a = torch.tanh(z @ w + b)
            psi = (1 - a ** 2)[:, None] * w
            log_det = log_det + torch.log((1 + psi @ u_hat).abs() + 1e-8)
            z = z + a[:, None] * u_hat
        return z, log_det


class CNFDynamics(nn.Module):
    """The continuous planar flow of §4: dz/dt = sum over `width` units of u_i(t) tanh(w_i(t).z +
    b_i(t)), with the units' parameters given by a small network of t (a hypernetwork), and
    d log p(z)/dt = -trace(df/dz), computed exactly (cheap in 2-D)."""

    def __init__(self, dim=2, width=32, hidden=32):
        super().__init__()
        self.dim, self.width = dim, width
        self.hyper = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden),
                                   nn.Tanh(), nn.Linear(hidden, width * (2 * dim + 1)))
        self.nfe = 0

    def velocity(self, t, z):
        p = self.hyper(t.reshape(1, 1)).view(self.width, 2 * self.dim + 1)
        w, u, b = p[:, :self.dim], p[:, self.dim:2 * self.dim], p[:, -1]
        return torch.tanh(z @ w.T + b) @ u / self.width

    def forward(self, t, state):
        self.nfe += 1
        z, _ = state
        with torch.enable_grad():
            z = z.requires_grad_(True)
            dz = self.velocity(t, z)
            trace = sum(torch.autograd.grad(dz[:, i].sum(), z, create_graph=True)[0][:, i]
                        for i in range(self.dim))
        return dz, -trace


class CNF(nn.Module):
    """A continuous normalising flow from t = 0 to `T`: `forward(z)` returns z(T) and the change
    in log-density, log p(z(T)) - log p(z(0)) = -integral of the trace."""

    def __init__(self, dim=2, width=32, T=1.0, tol=1e-5):
        super().__init__()
        self.dynamics, self.T, self.tol = CNFDynamics(dim, width), T, tol

    def forward(self, z, reverse=False):
        ends = [self.T, 0.0] if reverse else [0.0, self.T]
        times = torch.tensor(ends, dtype=z.dtype, device=z.device)
        zs, delta = odeint(self.dynamics, (z, torch.zeros(len(z), device=z.device)), times,
                           rtol=self.tol, atol=self.tol)
        return zs[-1], delta[-1]
