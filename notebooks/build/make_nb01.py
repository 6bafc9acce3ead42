"""Build notebooks/01_quickstart.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb01.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/01_quickstart.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("01_quickstart")
md, code = nb.md, nb.code

md(f"""
{nb.badge}

# 01 · Quickstart: sample, truncate, walk and mix

This notebook tours **`shapes-biggan`**, the class-conditional BigGAN-style generator that ships inside latentlab.
It was trained on the *Shapes world*, a procedural renderer whose every image comes with ground-truth factors
(shape, hue, position, scale, …), and it is measured by **`shapes-probe`**, a small CNN that reads those factors back.
Everything runs on a laptop CPU in well under a minute, with no downloads. On a GPU, the next cell switches the same
tour to DeepMind's BigGAN-deep, trained on ImageNet.

You will see:
1. a grid of samples per class,
2. the **truncation trick** — trading variety for fidelity — in images and as a measured curve,
3. a **latent walk** (spherical interpolation between two latents),
4. a **class interpolation** through the shared class embedding, with the latent held fixed.
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to use BigGAN-deep 128 (a 211 MB download into the cache, 1,000
# ImageNet classes) instead of the embedded shapes-biggan. The probe's measurements only exist in the Shapes world, so
# those cells are skipped then. With False nothing is downloaded and everything runs on a CPU.
USE_PRETRAINED = False
""")
code("""
import torch
import matplotlib.pyplot as plt
import latentlab
from latentlab import load_generator, load_probe, show_grid as show

torch.set_num_threads(2)
if USE_PRETRAINED:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    G = load_generator("biggan-deep-128", device=device)
    ROW_CLASSES = ["goldfish", "tabby cat", "volcano", "daisy", "cheeseburger"]   # five of the 1,000 classes
    TRUNCATION_CLASS, WALK_CLASS, MIX_FROM, MIX_TO = "Golden Retriever", "volcano", "tabby cat", "tiger"
else:
    G = load_generator("shapes-biggan")   # embedded weights, verified by checksum
    probe = load_probe("shapes-probe")
    ROW_CLASSES = G.class_names
    TRUNCATION_CLASS, WALK_CLASS, MIX_FROM, MIX_TO = "star", "heart", "circle", "star"


print("classes:", G.class_names if len(G.class_names) <= 10 else f"{len(G.class_names)} ImageNet classes")
print("latent dimension:", G.latent_dim, "| resolution:", G.resolution)
""")
md("""
## 1. Samples per class
`G.generate(n, seed=…, classes=…)` draws latents reproducibly from a seed. Each row below is one class with the same 8 latents,
so you can see that the latent (not the class) carries colour, position and size.
""")
code("""
z = G.sample_latents(8, seed=0)
with torch.no_grad():
    rows = [G(z, G.classes(name, 8)) for name in ROW_CLASSES]
show(torch.cat(rows), nrow=8, title="one class per row, same 8 latents in every row")
""")
md("""
## 2. The truncation trick
BigGAN samples its latent from a normal distribution **truncated** at a threshold ψ: every entry with |z| > ψ is resampled.
A small ψ gives typical, clean images with little variety; a large ψ gives more variety and more odd samples.
`shapes-biggan` reads each chunk of its latent by its direction, and by its length only when the chunk is shorter
than half its usual length: down to ψ = 1 objects keep their full spread of positions, sizes and background
brightness, and below it they gather toward the middle about in proportion to ψ (hues and rotations, read as angles,
keep their variety). Below, the same seeds at four thresholds.
""")
code("""
psis = [0.25, 0.5, 1.0, 1.5]
with torch.no_grad():
    rows = [G.generate(8, seed=1, truncation=psi, classes=TRUNCATION_CLASS) for psi in psis]
show(torch.cat(rows), nrow=8, title=f"{TRUNCATION_CLASS}s at psi = " + ", ".join(map(str, psis)) + " (top to bottom)")
""")
md("""
We measure the trade-off with the probe on 500 samples per ψ:
* **class consistency** — the probe reads the class the generator was asked for (fidelity),
* **spread** — the standard deviation of the probe-read x position, scale and hue (variety),
* **FID** — the Fréchet distance (torch-fidelity's statistics and formula) in the probe's feature space against 500 real renders; lower is better, and the real-vs-real floor at this size is printed too.

`python -m benchmarks.generators` runs the same measurement on 10,000 samples; notebook 07 explains these metrics and
their pitfalls, and measures BigGAN-deep with ImageNet networks. The probe reads the Shapes world only, so these two
cells are skipped when `USE_PRETRAINED` is True.
""")
code("""
if not USE_PRETRAINED:   # the probe and the real renders exist only in the Shapes world
    from latentlab.data import render, sample_factors
    from latentlab.metrics import class_consistency, fid_from_statistics, fid_statistics, read_factors

    n = 500
    real = render(sample_factors(n, seed=11))[0]
    reference = fid_statistics(real)  # probe-feature mean and covariance of the real set
    floor = fid_from_statistics(reference, fid_statistics(render(sample_factors(n, seed=12))[0]))
    classes = torch.arange(n) % len(G.class_names)
    curve = []
    for psi in [0.25, 0.5, 0.75, 1.0, 1.5]:
        with torch.no_grad():
            images = G(G.sample_latents(n, seed=2, truncation=psi), classes)
        r = read_factors(probe, images)
        curve.append((psi, class_consistency(r, classes), r.x.std().item(), r.scale.std().item(), r.hue.std().item(), fid_from_statistics(fid_statistics(images), reference)))
    real_r = read_factors(probe, real)
    print(f"real renders: x spread {real_r.x.std():.2f}, scale spread {real_r.scale.std():.2f}; FID floor {floor:.1f}")
    print("  psi  class-consistency  x-spread  scale-spread  FID")
    for psi, cc, xs, ss, hs, f in curve:
        print(f"{psi:5.2f}  {cc:17.2f}  {xs:8.2f}  {ss:12.2f}  {f:4.0f}")
""")
code("""
if not USE_PRETRAINED:
    psi_axis = [c[0] for c in curve]
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.2), dpi=80)
    ax[0].plot(psi_axis, [c[1] for c in curve], "o-"); ax[0].set_xlabel("truncation psi"); ax[0].set_ylabel("class consistency")
    ax[1].plot(psi_axis, [c[2] for c in curve], "o-", label="x"); ax[1].plot(psi_axis, [c[3] for c in curve], "o-", label="scale")
    ax[1].axhline(real_r.x.std().item(), ls=":", c="C0"); ax[1].axhline(real_r.scale.std().item(), ls=":", c="C1")
    ax[1].set_xlabel("truncation psi"); ax[1].set_ylabel("spread (std)"); ax[1].legend(title="dotted: real")
    fig.suptitle("fidelity vs variety"); fig.tight_layout(); plt.show()
""")
md("""
## 3. A latent walk
`latentlab.slerp(a, b, steps)` interpolates on the sphere between two latents (a straight line would pass through
unusually short latents). The class stays fixed; watch the object move, recolour and resize smoothly.
""")
code("""
a, b = G.sample_latents(2, seed=7)
path = latentlab.slerp(a, b, 8)
with torch.no_grad():
    show(G(path, G.classes(WALK_CLASS, 8)), nrow=8, title=f"slerp between two latents, class {WALK_CLASS}")
""")
md("""
## 4. Class interpolation through the shared embedding
The class enters the generator through a shared embedding of a (soft) class vector, so we can blend two classes
with the latent fixed: `y = (1 - t) * onehot(A) + t * onehot(B)`, here from circle to star (from tabby cat to tiger
with BigGAN-deep). In the Shapes world the probe then tells us which shape it reads at each step.
""")
code("""
t = torch.linspace(0, 1, 8)[:, None]
onehot = torch.eye(len(G.class_names))
y = (1 - t) * onehot[G.class_index(MIX_FROM)] + t * onehot[G.class_index(MIX_TO)]
z = G.sample_latents(1, seed=3).repeat(8, 1)
with torch.no_grad():
    mix = G(z, y)
show(mix, nrow=8, title=f"{MIX_FROM} -> {MIX_TO}, same latent")
if not USE_PRETRAINED:   # the probe reads Shapes-world images only
    print("probe reads:", [G.class_names[i] for i in read_factors(probe, mix).shape.tolist()])
""")
md("""
## Next
* From a terminal: `latentlab sample --model shapes-biggan --class star --truncation 0.5 -n 16 --seed 0 --out grid.png`
* `latentlab models` lists the embedded and known models; `latentlab train shapes-biggan --out runs/g` retrains the generator.
""")

nb.write()
