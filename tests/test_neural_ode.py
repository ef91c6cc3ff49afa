"""Neural ODEs (Chen et al. 2018): the ODE block against a closed-form solution, the adjoint
gradients against backpropagation through the solver, the function-evaluation counter, and the
two flows' log-determinants against autograd Jacobians."""

import pytest
import torch
from torch import nn

from zoo_utils.models import neural_ode as N


class Linear(nn.Module):
    """dh/dt = A h, whose solution at t = 1 is expm(A) h(0)."""

    def __init__(self, A):
        super().__init__()
        self.A = nn.Parameter(A)
        self.nfe = 0

    def forward(self, t, h):
        self.nfe += 1
        return h @ self.A.T


def test_ode_block_solves_a_linear_ode_to_its_closed_form():
    A = torch.tensor([[0.0, -1.0], [1.0, -0.2]], dtype=torch.float64)
    h0 = torch.tensor([[1.0, 0.5], [-0.3, 2.0]], dtype=torch.float64)
    block = N.ODEBlock(Linear(A.clone()), tol=1e-9)
    torch.testing.assert_close(block(h0), h0 @ torch.linalg.matrix_exp(A).T, rtol=1e-6, atol=1e-6)


def test_adjoint_gradients_match_backpropagation_through_the_solver():
    torch.manual_seed(0)
    A = torch.randn(3, 3, dtype=torch.float64) * 0.5
    h0 = torch.randn(4, 3, dtype=torch.float64)
    grads = []
    for adjoint in (False, True):
        func = Linear(A.clone())
        N.ODEBlock(func, tol=1e-9, adjoint=adjoint)(h0).pow(2).sum().backward()
        grads.append(func.A.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-5, atol=1e-6)


def test_odenet_counts_function_evaluations_and_has_fewer_parameters_than_its_resnet():
    torch.manual_seed(0)
    ode, resnet = N.ODENet(1, 16, middle="ode"), N.ODENet(1, 16, middle="resnet", n_blocks=6)
    x = torch.randn(2, 1, 12, 12)
    assert ode(x).shape == resnet(x).shape == (2, 10)
    assert ode.nfe >= 6 and resnet.nfe == 0            # dopri5: six evaluations a step at least
    ode.reset_nfe()
    assert ode.nfe == 0
    middle = lambda m: sum(p.numel() for p in m.middle.parameters())
    assert middle(resnet) == 6 * middle(ode)
    with pytest.raises(ValueError, match="middle"):
        N.ODENet(middle="transformer")


def test_odenet_trains_with_both_gradients():
    torch.manual_seed(0)
    x, y = torch.randn(4, 1, 12, 12), torch.tensor([0, 1, 2, 3])
    for adjoint in (False, True):
        model = N.ODENet(1, 8, adjoint=adjoint, tol=1e-2)
        nn.functional.cross_entropy(model(x), y).backward()
        assert all(p.grad is not None for p in model.middle.parameters())


def jacobian_log_det(f, z):
    jacobians = [torch.autograd.functional.jacobian(f, zi[None])[0, :, 0] for zi in z]
    return torch.stack([torch.linalg.slogdet(j)[1] for j in jacobians])


def test_planar_flow_log_det_matches_the_jacobian():
    torch.manual_seed(0)
    flow = N.PlanarFlow(dim=2, K=4)
    with torch.no_grad():
        flow.u.mul_(10)                                    # far from the identity
    z = torch.randn(5, 2)
    _, log_det = flow(z)
    expected = jacobian_log_det(lambda v: flow(v)[0], z)
    torch.testing.assert_close(log_det, expected, rtol=1e-4, atol=1e-4)


def test_cnf_log_density_change_matches_the_jacobian_of_its_flow():
    torch.manual_seed(0)
    cnf = N.CNF(dim=2, width=8, tol=1e-7).double()
    z = torch.randn(4, 2, dtype=torch.float64)
    _, delta = cnf(z)
    # change of variables: log p(z(T)) - log p(z(0)) = -log |det dz(T)/dz(0)|
    expected = -jacobian_log_det(lambda v: cnf(v)[0], z)
    torch.testing.assert_close(delta, expected, rtol=1e-4, atol=1e-4)
    back, _ = cnf(cnf(z)[0], reverse=True)
    torch.testing.assert_close(back, z, rtol=1e-4, atol=1e-4)


def test_saved_activations_grow_with_solver_steps_only_without_the_adjoint():
    torch.manual_seed(0)
    func = N.ODEFunc(8)
    h = torch.randn(2, 8, 6, 6)
    block = lambda adjoint, steps: N.ODEBlock(func, adjoint=adjoint, steps=steps)
    saved = {(a, s): N.saved_activation_bytes(lambda a=a, s=s: block(a, s)(h).sum())
             for a in (False, True) for s in (2, 8)}
    assert saved[False, 8] > 3 * saved[False, 2]        # four times the steps
    assert saved[True, 8] == saved[True, 2] < saved[False, 2]
    layer = nn.Linear(5, 3)
    x = torch.randn(4, 5, requires_grad=True)
    assert N.saved_activation_bytes(lambda: layer(x).sum()) >= x.numel() * 4


def test_fixed_steps_take_four_evaluations_each():
    func = Linear(torch.eye(2))
    N.ODEBlock(func, steps=5)(torch.ones(1, 2))
    assert func.nfe == 4 * 5


def test_gpu_profile_takes_a_step_on_mnist_shapes():
    """The page's gpu settings: width 64 on 28 x 28 digits with adjoint gradients, flows of 32."""
    from zoo_utils import profiles

    cfg = profiles.get("neural_ode", "gpu")
    model = N.ODENet(1, cfg.width, 10, tol=cfg.tol, adjoint=cfg.adjoint)
    nn.functional.cross_entropy(model(torch.rand(2, 1, 28, 28)), torch.tensor([3, 7])).backward()
    assert model.nfe > 0
    for flow in (N.PlanarFlow(2, cfg.flow_size), N.CNF(2, cfg.flow_size, tol=1e-3)):
        x, change = flow(torch.randn(4, 2))
        (x.sum() + change.sum()).backward()
