"""Build notebooks/01_quickstart.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb01.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/01_quickstart.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("01_quickstart")
md, code, finding = nb.md, nb.code, nb.finding

md(f"""
{nb.badge}

# 01 · Quickstart: sample, truncate, walk and mix

This notebook tours **`shapes-biggan`**, the class-conditional BigGAN-style generator (Brock et al., 2019) that ships
inside latentlab. It was trained on the *Shapes world*, a procedural renderer whose every image comes with
ground-truth factors (shape, hue, position, scale, …), and it is measured by **`shapes-probe`**, a small CNN that reads
those factors back. Everything runs on a laptop CPU in about a minute, with no downloads. On a GPU, the next cell
switches the same tour to DeepMind's BigGAN-deep, trained on ImageNet.

You will see the tools of Andonian (2021, ch. 2), which explores BigGAN this way:
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
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

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
`G.generate(n, seed=…, classes=…)` draws latents reproducibly from a seed. Each row below is one class with the same 8
latents, so you can see that the latent (not the class) carries colour, position and size.
""")
code("""
z = G.sample_latents(8, seed=0)
with torch.no_grad():
    rows = [G(z, G.classes(name, 8)) for name in ROW_CLASSES]
show(torch.cat(rows), nrow=8, row_labels=list(ROW_CLASSES), col_labels=[f"z{i}" for i in range(8)],
     title="one class per row, the same 8 latents in every row")
""")
md("""
## 2. The truncation trick
BigGAN samples its latent from a normal distribution **truncated** at a threshold ψ: every entry with |z| > ψ is
resampled (Brock et al., 2019). A small ψ gives typical, clean images with little variety; a large ψ gives more variety
and more odd samples. `shapes-biggan` reads each chunk of its latent by its direction, and by its length only when the
chunk is shorter than half its usual length: down to ψ = 1 objects keep their full spread of positions, sizes and
background brightness, and below it they gather toward the middle, the more the smaller ψ (hues and rotations, read as
angles, keep their variety). Below, the same seeds at four thresholds.
""")
code("""
psis = [0.25, 0.5, 1.0, 1.5]
with torch.no_grad():
    rows = [G.generate(8, seed=1, truncation=psi, classes=TRUNCATION_CLASS) for psi in psis]
show(torch.cat(rows), nrow=8, row_labels=[f"ψ = {psi}" for psi in psis], title=f"{TRUNCATION_CLASS}s, the same 8 seeds at four truncations")
""")
md("""
### Measuring the trade-off
We measure it with the probe on 500 samples per ψ (the probe reads the Shapes world only, so these cells are skipped
when `USE_PRETRAINED` is True):
* **class consistency** — the probe reads the class the generator was asked for (fidelity),
* **spread** — the standard deviation of the probe-read x position and scale (variety),
* **FID** (Heusel et al., 2017) — the Fréchet distance between Gaussians fitted to the probe's features of generated
  and of real renders; lower is better.

FID needs care. It estimates a mean and a covariance matrix from N images, and that estimate is only good when N is
much larger than the number of features d; with fewer, the noise of the estimate dominates, and it always *adds*
distance. The probe has 256 features, so with 500 images we first reduce them to their top $K = 32$ principal
directions (fitted on a separate set of renders, each direction scaled to unit variance). Even then, two sets of real
renders do not score 0: their FID is the **floor** at this N, and it has a spread from draw to draw. We measure the
floor on every pair of four real sets, and each generated set against all four. Notebook 07 explains these steps and
the other metrics in detail (Chong and Forsyth, 2020, show how FID's bias depends on N).
""")
code('''
if not USE_PRETRAINED:   # the probe and the real renders exist only in the Shapes world
    from latentlab.data import render, sample_factors
    from latentlab.metrics import class_consistency, fid_from_statistics, fid_statistics, read_factors

    n, K = 500, 32
    # the reduced feature space: the top K principal directions of the probe's features on renders used for nothing else
    fit = fid_statistics(render(sample_factors(n, seed=10))[0])   # mean and covariance of the probe features
    eigval, eigvec = np.linalg.eigh(fit["sigma"])                   # ascending
    top = eigvec[:, ::-1][:, :K] / np.sqrt(eigval[::-1][:K])        # the top K directions, scaled to unit variance

    def reduced(stats):
        """FID statistics (mean, covariance) of the probe features, in the reduced space."""
        return {"mu": (stats["mu"] - fit["mu"]) @ top, "sigma": top.T @ stats["sigma"] @ top}

    real_sets = [render(sample_factors(n, seed=11 + i))[0] for i in range(4)]
    real_stats = [reduced(fid_statistics(images)) for images in real_sets]
    floors = [fid_from_statistics(a, b) for i, a in enumerate(real_stats) for b in real_stats[i + 1:]]
    floor, floor_std = np.mean(floors), np.std(floors)
    real_r = read_factors(probe, real_sets[0])
    print(f"{len(floors)} real-vs-real pairs of {n}: FID floor {floor:.2f} ± {floor_std:.2f}")
    print(f"real renders: x spread {real_r.x.std():.2f}, scale spread {real_r.scale.std():.2f}")
''')
code("""
if not USE_PRETRAINED:
    classes = torch.arange(n) % len(G.class_names)
    curve = []
    for psi in [0.25, 0.5, 0.75, 1.0, 1.5]:
        with torch.no_grad():
            images = G(G.sample_latents(n, seed=2, truncation=psi), classes)
        r = read_factors(probe, images)
        stats = reduced(fid_statistics(images))
        fids = [fid_from_statistics(stats, s) for s in real_stats]   # against each of the four real sets
        curve.append(dict(psi=psi, consistency=class_consistency(r, classes), x=r.x.std().item(), scale=r.scale.std().item(),
                          fid=np.mean(fids), fid_std=np.std(fids)))
    print("  psi  class-consistency  x-spread  scale-spread            FID")
    for c in curve:
        print(f"{c['psi']:5.2f}  {c['consistency']:17.2f}  {c['x']:8.2f}  {c['scale']:12.2f}  {c['fid']:6.2f} ± {c['fid_std']:4.2f}")
""")
code("""
if not USE_PRETRAINED:
    psi_axis = [c["psi"] for c in curve]
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.4), dpi=100)
    ax[0].plot(psi_axis, [c["consistency"] for c in curve], "o-")
    ax[0].set(xlabel="truncation psi", ylabel="class consistency", title="fidelity: the class is read back")
    ax[1].plot(psi_axis, [c["x"] for c in curve], "o-", label="x")
    ax[1].plot(psi_axis, [c["scale"] for c in curve], "o-", label="scale")
    ax[1].axhline(real_r.x.std().item(), ls=":", c="C0"); ax[1].axhline(real_r.scale.std().item(), ls=":", c="C1")
    ax[1].set(xlabel="truncation psi", ylabel="spread (std)", title="variety: spread of the factors"); ax[1].legend(title="dotted: real")
    ax[2].errorbar(psi_axis, [c["fid"] for c in curve], yerr=[c["fid_std"] for c in curve], fmt="o-", capsize=3, label="generated vs real")
    ax[2].axhspan(floor - 2 * floor_std, floor + 2 * floor_std, color="gray", alpha=0.3, label="floor ± 2 std")
    ax[2].set(xlabel="truncation psi", ylabel=f"FID (probe, K = {K}, N = {n})", yscale="log", title="overall: FID and its floor")
    ax[2].legend()
    fig.suptitle("fidelity against variety"); fig.tight_layout(); plt.show()

    by_psi = {c["psi"]: c for c in curve}
    best = min(curve, key=lambda c: c["fid"])
    near_floor = ", ".join(str(c["psi"]) for c in curve if c["fid"] < floor + 2 * floor_std)   # within the floor's band
    under_floor = ", ".join(str(c["psi"]) for c in curve if c["fid"] < floor)
    verdict = (f"At ψ = {near_floor} FID lies within the floor's band (below its mean + 2 std): with {n} images these "
               "sets cannot be told from real renders in this feature space." if near_floor else
               "At every ψ FID lies above the floor's band: each truncation leaves a measurable difference from real renders.")
    if under_floor:
        verdict += (f" At ψ = {under_floor} it is even below the floor's mean. That does not make it better than real: "
                    "the true distance is smaller than this N can resolve, and each set's own share of FID's bias depends on "
                    "how its features spread, so a distribution very close to the real one can come out a little below two "
                    "real sets.")
""")
finding("""
{'' if USE_PRETRAINED else f"At ψ = 0.25 the x spread is **{by_psi[0.25]['x']:.2f}**, against **{real_r.x.std():.2f}** for real renders, and FID is **{by_psi[0.25]['fid']:.2f}**; at ψ = 1 the spread is **{by_psi[1.0]['x']:.2f}** and FID **{by_psi[1.0]['fid']:.2f} ± {by_psi[1.0]['fid_std']:.2f}**, against a floor of **{floor:.2f} ± {floor_std:.2f}**. The lowest FID is at ψ = {best['psi']}. {verdict}"}
""")
md("""
The repository's benchmarks measure the same curve on 10,000 samples per ψ, where N ≫ d holds even in the probe's
raw 256 features; notebook 07 explains these metrics and their pitfalls, and measures BigGAN-deep with ImageNet
networks.

## 3. A latent walk
`latentlab.slerp(a, b, steps)` interpolates on the sphere between two latents (White, 2016): a straight line would
pass through unusually short latents. The class stays fixed; watch the object move, recolour and resize smoothly.
""")
code("""
a, b = G.sample_latents(2, seed=7)
path = latentlab.slerp(a, b, 8)
steps = torch.linspace(0, 1, 8)
with torch.no_grad():
    walk = G(path, G.classes(WALK_CLASS, 8))
show(walk, nrow=8, col_labels=[f"t = {t:.2f}" for t in steps.tolist()], title=f"slerp between two latents, class {WALK_CLASS}")
""")
md("""
## 4. Class interpolation through the shared embedding
The class enters the generator through a shared embedding of a (soft) class vector, so we can blend two classes
with the latent fixed: `y = (1 - t) * onehot(A) + t * onehot(B)`, here from circle to star (from tabby cat to tiger
with BigGAN-deep). In the Shapes world the probe then tells us which shape it reads at each step, and labels each
image with it.
""")
code("""
t = torch.linspace(0, 1, 8)[:, None]
onehot = torch.eye(len(G.class_names))
y = (1 - t) * onehot[G.class_index(MIX_FROM)] + t * onehot[G.class_index(MIX_TO)]
z = G.sample_latents(1, seed=3).repeat(8, 1)
with torch.no_grad():
    mix = G(z, y.to(G.device))
read = None if USE_PRETRAINED else [G.class_names[i] for i in read_factors(probe, mix).shape.tolist()]   # Shapes world only
show(mix, nrow=8, col_labels=[f"t = {v:.2f}" for v in t.flatten().tolist()], labels=read,
     title=f"{MIX_FROM} → {MIX_TO}, same latent" + ("" if read is None else " (corner: what the probe reads)"))
""")
md("""
## Next
* From a terminal: `latentlab sample --model shapes-biggan --class star --truncation 0.5 -n 16 --seed 0 --out grid.png`
* `latentlab models` lists the embedded and known models; `latentlab train shapes-biggan --out runs/g` retrains the
  generator.

## Exercises
The solutions use the embedded `shapes-biggan` and the probe (run them with `USE_PRETRAINED = False`).
""")
nb.exercise(
    "Where the variety goes",
    "Take the class `heart` and measure the probe's x spread at ψ = `0.1`, `0.3`, `0.6` and `1.0` with 100 samples "
    "each. Plot it against ψ with the real renders' spread as a line. Below which ψ does the generator lose variety?",
    "`G.generate(100, seed=0, truncation=psi, classes='heart')` and `read_factors(probe, images).x.std()`; "
    "`real_r` from section 2 holds the real renders' readings.",
    '''
psi_values = [0.1, 0.3, 0.6, 1.0]
spreads = []
for psi in psi_values:
    with torch.no_grad():
        images = G.generate(100, seed=0, truncation=psi, classes="heart")
    spreads.append(read_factors(probe, images).x.std().item())
fig, ax = plt.subplots(figsize=(5, 3), dpi=100)
ax.plot(psi_values, spreads, "o-", label="generated hearts")
ax.axhline(real_r.x.std().item(), ls=":", c="gray", label="real renders")
ax.set(xlabel="truncation psi", ylabel="x spread (std)", title="variety of position against truncation")
ax.legend(); fig.tight_layout(); plt.show()
for psi, s in zip(psi_values, spreads):
    print(f"psi = {psi}: x spread {s:.3f} ({s / real_r.x.std().item():.0%} of the real spread)")
''')
nb.exercise(
    "Slerp against a straight line",
    "Between the two latents `a` and `b` of section 3, compare the straight line `latentlab.lerp(a, b, 8)` with the "
    "slerp path: print the length (norm) of every latent on both paths, and show both walks as two labelled rows. "
    "Where do they differ most?",
    "`path.norm(dim=1)` gives the lengths. Two independent 120-d normal vectors are almost orthogonal, so the "
    "midpoint of the straight line between them is about $1/\\sqrt{2}$ times as long as either end.",
    '''
line, sphere = latentlab.lerp(a, b, 8), latentlab.slerp(a, b, 8)
print("lerp  norms:", " ".join(f"{v:5.2f}" for v in line.norm(dim=1).tolist()))
print("slerp norms:", " ".join(f"{v:5.2f}" for v in sphere.norm(dim=1).tolist()))
with torch.no_grad():
    images = torch.cat([G(line, G.classes(WALK_CLASS, 8)), G(sphere, G.classes(WALK_CLASS, 8))])
show(images, nrow=8, row_labels=["lerp", "slerp"], col_labels=[f"t = {t:.2f}" for t in steps.tolist()],
     title="the same two latents joined by a straight line and by slerp")
''')
nb.exercise(
    "Where the class flips",
    "Blend circle into star as in section 4, in 16 steps, for 8 different latents. For each latent find the first "
    "step t at which the probe reads \"star\". Is the flip always at the same t?",
    "Build all 8 × 16 images in one batch: repeat each latent 16 times and tile the 16 class vectors 8 times; then "
    "reshape the probe's readings to [8, 16].",
    '''
steps16 = torch.linspace(0, 1, 16)[:, None]
blend = (1 - steps16) * onehot[G.class_index("circle")] + steps16 * onehot[G.class_index("star")]
latents = G.sample_latents(8, seed=20)
with torch.no_grad():
    images = G(latents.repeat_interleave(16, dim=0), blend.repeat(8, 1))
is_star = (read_factors(probe, images).shape == G.class_index("star")).reshape(8, 16)
flips = [steps16[row.nonzero()[0, 0], 0].item() if row.any() else None for row in is_star]
for i, f in enumerate(flips):
    print(f"latent {i}: " + ("never read as star" if f is None else f"first read as star at t = {f:.2f}"))
found = [f for f in flips if f is not None]
if found and min(found) < max(found):
    print(f"flip points from t = {min(found):.2f} to t = {max(found):.2f}: the latent moves the class boundary")
elif found:
    print(f"every latent flips at t = {found[0]:.2f} (at this step size)")
''')
nb.references("brock2019", "andonian2021", "heusel2017", "chong2020", "white2016")

nb.write()
