import torch

from synth import metrics


def test_psnr_full_and_masked():
    ref = torch.zeros(2, 3, 8, 8)
    x = ref.clone()
    x[0, :, :4] = 0.1          # error only in the top half of image 0
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4, :] = 1
    full, region = metrics.psnr(x, ref), metrics.psnr(x, ref, mask)
    # MSE 0.01 on the region -> 20 dB; over the whole image it is halved -> +3 dB
    assert torch.allclose(region[0], torch.tensor(20.0), atol=1e-3)
    assert torch.allclose(full[0], torch.tensor(20.0 + 10 * torch.log10(torch.tensor(2.0)).item()), atol=1e-3)
    assert region[1] > 100 and full[1] > 100  # identical images
