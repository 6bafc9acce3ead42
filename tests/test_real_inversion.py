"""A real photograph and real digits, inverted and edited: the path a user with their own picture takes.

Reads ``shared/realdata`` (or ``$LATENTLAB_REALDATA``) and skips only when it is absent.
"""

from __future__ import annotations

import pytest
import real_models as rm  # tests/ is on sys.path under pytest's default import mode
import torch

from latentlab import EditedImage, invert, load_image
from latentlab.methods import sefa_directions

REALDATA = rm.realdata_dir()
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"real data folder {REALDATA} is absent")
FACE_BOX = (140, 20, 310, 190)  # the portrait's face, about as tight as CelebA's crops


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def portrait_face(size: int) -> torch.Tensor:
    from PIL import Image

    photo = Image.open(REALDATA / "samples" / "photo_astronaut_portrait.png").convert("RGB")
    return load_image(photo.crop(FACE_BOX), size=size)


def psnr(a, b) -> float:
    return float(-10 * torch.log10(((a.cpu() - b.cpu()) ** 2).mean()))


@needs_realdata
def test_the_portrait_is_encoded_refined_and_moved_in_the_face_vae():
    from latentlab.generators.face_vae import FaceVAE
    from latentlab.zoo.face_models import read_state

    g = FaceVAE.from_state_dict(read_state(REALDATA / "pretrained" / "celeba_vae64.pth")).eval()
    target = portrait_face(64)
    with torch.no_grad():
        mean = g.encode(target)[0]
        encoded = g(mean).clamp(0, 1)
    refined = invert(g, target, loss="mse", steps=60, lr=0.1, z_init=mean, radius=1e3)
    assert psnr(refined.images, target) > psnr(encoded, target) + 0.2 > 15  # refinement improves on the encoder
    edit = EditedImage.from_inversion(refined)
    frames = edit.walk(g, sefa_directions(g, k=1)[0], [-3.0, 0.0, 3.0])
    assert torch.allclose(frames[1], refined.images[0], atol=1e-5)
    assert float((frames[0] - frames[2]).abs().mean()) > 0.02  # the direction changes the face visibly


@needs_realdata
def test_the_portrait_inverts_into_the_face_dcgan_better_than_its_start():
    from latentlab.generators.dcgan import DCGANGenerator
    from latentlab.zoo.face_models import read_state

    g = DCGANGenerator.from_state_dict(read_state(REALDATA / "pretrained" / "celeba_dcgan32_G.pt")).eval()
    target = portrait_face(32)
    found = invert(g, target, loss="mse", steps=60, lr=0.05, restarts=4)
    assert found.history[-1] < 0.7 * found.history[0] and psnr(found.images, target) > 13


@needs_realdata
def test_real_digits_keep_their_class_through_the_mnist_vae_and_mostly_the_gan():
    images, labels = rm.load_mnist_test()
    images, labels = images[:40], labels[:40]
    lenet = rm.lenet_assessor()
    vae = rm.mnist_vae_generator()
    with torch.no_grad():
        mean = vae.encode(images)[0]
    found = invert(vae, images, loss="mse", steps=40, lr=0.05, z_init=mean, radius=1e3)
    assert float((lenet.predict(found.images).cpu() == labels).float().mean()) >= 0.9
    gan = rm.mnist_gan_generator()
    found = invert(gan, images[:16], loss="mse", steps=80, lr=0.05, restarts=4)
    assert float((lenet.predict(found.images).cpu() == labels[:16]).float().mean()) >= 0.5
