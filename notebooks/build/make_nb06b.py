"""Build notebooks/06b_closed_form_directions.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb06b.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/06b_closed_form_directions.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("06b_closed_form_directions")
md, code = nb.md, nb.code

md(f"""
{nb.badge}

# 06b · Closed-form directions: PCA, SeFa and linear boundaries

Notebook 06a found directions by *search*, optimising through the generator. The directions here cost next to
nothing: a little linear algebra on the model or on labelled samples.

* **PCA** (GANSpace; Härkönen et al., 2020): the axes along which the generator's features vary most.
* **SeFa** (Shen and Zhou, 2021): the eigenvectors of the first layer's weights, without sampling anything.
* **Linear boundaries** (InterFaceGAN; Shen et al., 2020): label samples with an assessor and take the normal of the
  hyperplane that separates high from low scores.

PCA and SeFa are not told what to look for; the **validation** of Goetschalckx et al. (2019), a slope with its
confidence interval, tells what each direction does. Then every direction goes behind a slider, in Z of
`shapes-biggan` and in W+ of the style-based `shapes-stylegan` (Karras et al., 2019).
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to read directions off BigGAN-deep 128 (a 211 MB download into the
# cache). The probe's readings (object size, position) only exist in the Shapes world, so the boundary and the
# validation use pixel properties then. The W+ part always uses the embedded shapes-stylegan. With False nothing is
# downloaded and everything runs on a CPU.
USE_PRETRAINED = False
""")
code("""
import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display

from latentlab import load_generator, show_grid as show
from latentlab.assessors import Brightness, Colorfulness, IntensityEntropy, ObjectSize, ProbeFactor
from latentlab.methods import conditional_direction, linear_boundary, pca_directions, sefa_directions, style_sefa_directions, sweep_direction

torch.set_num_threads(1)  # these networks are so small that splitting each operation over threads costs more than it saves
if USE_PRETRAINED:
    G = load_generator("biggan-deep-128", device="cuda")
else:
    G = load_generator("shapes-biggan")  # embedded weights, verified by checksum
print("latent dimension:", G.latent_dim, "| resolution:", G.resolution)
""")
code('''
@torch.no_grad()
def direction_strips(generator, directions, z, y, t_values):
    """Images of the latents z moved to every t along every direction: rows (direction, latent), columns t."""
    rows = [torch.stack([generator(d.move(z, t), y) for t in t_values], dim=1) for d in directions]  # [N, T, 3, H, W]
    return torch.cat(rows).flatten(0, 1).clamp(0, 1)


def moves_in_stds(sweeps):
    """How far each property moves over the whole t range, in units of how much it varies from image to image at the
    middle value: properties with different units become comparable."""
    moved = {}
    for name, s in sweeps.items():
        spread = s.scores[:, len(s.alphas) // 2].std()
        moved[name] = float(s.fit().slope * (s.alphas[-1] - s.alphas[0]) / spread)
    return moved
''')

# --------------------------------------------------------------------------------------------------- PCA and SeFa
md("""
## 1. Directions read off the model: PCA and SeFa

* **PCA in feature space**: take the principal components of the first layer's (`stem`) features over sampled
  latents, and regress the latents on the component coordinates to get latent directions.
* **SeFa**: the first layer maps z to Az + b, so a move n changes its output by An; the unit n that change it most
  are the top eigenvectors of AᵀA. In `shapes-biggan` that layer reads only the first chunk of the latent, so SeFa's
  directions live in those entries.
""")
code("""
pca = pca_directions(G, layer="stem", k=3, n_samples=500, seed=0, progress=True)
if USE_PRETRAINED:  # BigGAN-deep's first layer reads [z, class embedding]: keep the columns that read z
    sefa = sefa_directions(G, k=3, weight=G.generator.gen_z.weight()[:, :G.latent_dim].detach())
else:
    sefa = sefa_directions(G, k=3)
variance = [d.info["explained_variance"] for d in pca]
eigen = [d.info["eigenvalue"] for d in sefa]
cosines = [abs(float(p.unit @ s.unit)) for p, s in zip(pca, sefa)]
print("PCA explained variance:", [round(v, 2) for v in variance])
print("SeFa eigenvalues:      ", [round(e, 2) for e in eigen])
print("|cos(pca_i, sefa_i)|:  ", [round(c, 2) for c in cosines])
""")
nb.finding("""
The top three PCA components explain **{variance[0]:.0%}**, **{variance[1]:.0%}** and **{variance[2]:.0%}** of the
feature variance; SeFa's top eigenvalues are **{eigen[0]:.2f}**, **{eigen[1]:.2f}** and **{eigen[2]:.2f}**.
{"Both spectra are flat at the top, so neither method singles out one direction" if variance[0] < 2 * variance[1] and eigen[0] < 2 * eigen[1] else "At least one spectrum has a clear leader"},
and the two methods {"do not agree: directions of the same rank are nearly orthogonal" if max(cosines) < 0.3 else "partly agree"}
(largest |cos| **{max(cosines):.2f}**).
""")
md("""
Each grid moves two latents along each direction, t from −3 to 3 (a prior latent's coordinates have standard
deviation 1). Look for what changes.
""")
code("""
T_WIDE = (-3.0, -1.5, 0.0, 1.5, 3.0)
TITLES = {"pca": "PCA (GANSpace)", "sefa": "SeFa"}
z, y = G.sample_latents(2, seed=21), G.sample_classes(2, seed=21)
for family in (pca, sefa):
    show(direction_strips(G, family, z, y, T_WIDE), nrow=len(T_WIDE), row_labels=[f"{d.name} · latent {i}" for d in family for i in range(len(z))],
         col_labels=[f"t = {t:+.1f}" for t in T_WIDE], title=f"{TITLES[family[0].method]} directions in Z")
    plt.show()
""")

# --------------------------------------------------------------------------------------------------- boundaries
md("""
## 2. A linear boundary from labelled samples

InterFaceGAN (Shen et al., 2020) is told what to look for through labels: score a few hundred latents with an
assessor, keep the clearest cases (the top and bottom thirds), fit a linear classifier on the latents and take the
unit normal of its hyperplane. Held-out latents measure how well it separates them.
""")
code("""
target = Brightness() if USE_PRETRAINED else ObjectSize()
boundary = linear_boundary(G, target, space="z", n=400, seed=0, name=f"{target.name} (boundary)", progress=True)
closest = max(pca + sefa, key=lambda d: abs(float(d.unit @ boundary.unit)))
closest_cos = abs(float(closest.unit @ boundary.unit))
print(f"held-out accuracy {boundary.info['accuracy']:.2f} | closest of the six: {closest.name} (|cos| {closest_cos:.1f})")
""")
nb.finding("""
The hyperplane classifies **{boundary.info["accuracy"]:.0%}** of the held-out latents correctly (chance is half).
Of the six unsupervised directions, **{closest.name}** lies closest to its normal, at |cos| = **{closest_cos:.1f}**.
""")

# --------------------------------------------------------------------------------------------------- validation
md("""
## 3. Validating a direction: a slope and its confidence interval

Whatever made a direction, one test says what it does. Move N held-out latents to every t, score each image and fit
score = intercept per latent + slope · t: each latent's intercept absorbs how big it happens to be, only the change
with t is left. The residuals give the slope's standard error s, and slope ± q·s (q a Student-t quantile) is the
$95\\%$ confidence interval: on fresh latents, such intervals cover the true slope 95 times in 100.

*Does the direction move the score at all?* Yes when the interval excludes zero. *Does it move it much?* That is the
slope, reported as in 06a in image-to-image standard deviations over the t range, for every reading: the
**entanglement table**.
""")
code("""
if USE_PRETRAINED:  # pixel properties only: the probe reads the Shapes world
    readers = {target.name: target, "colorfulness": Colorfulness(), "entropy": IntensityEntropy()}
else:
    readers = {target.name: target, "probe x": ProbeFactor("x"), "probe y": ProbeFactor("y"),
               "brightness": Brightness(), "colorfulness": Colorfulness()}
candidates = pca + sefa + [boundary]
sweeps = {d.name: sweep_direction(G, d, readers, T_WIDE, n=40, seed=2) for d in candidates}
fits = {name: s[target.name].fit() for name, s in sweeps.items()}
table = torch.tensor([list(moves_in_stds(s).values()) for s in sweeps.values()])  # [directions, readers]
for name, f in fits.items():
    print(f"{name:>22}: {target.name} slope {f.slope:+.4f} per unit t, 95% CI [{f.ci_low:+.4f}, {f.ci_high:+.4f}]")

fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
image = ax.imshow(table, cmap="RdBu_r", vmin=-3, vmax=3)
ax.set_xticks(range(len(readers)), list(readers), rotation=20)
ax.set_yticks(range(len(sweeps)), list(sweeps))
for i in range(table.shape[0]):
    for j in range(table.shape[1]):
        ax.text(j, i, f"{table[i, j]:+.1f}", ha="center", va="center", fontsize=8)
ax.set(xlabel="reading", ylabel="direction", title=f"Entanglement: change over t = {T_WIDE[0]:+.0f} … {T_WIDE[-1]:+.0f} (image-to-image stds)")
fig.colorbar(image, ax=ax, label="stds")
plt.show()
""")
code("""
moves_target = table[:, 0].tolist()
significant = [name for name, f in fits.items() if f.ci_low > 0 or f.ci_high < 0]
small = [name for name, m in zip(sweeps, moves_target) if name in significant and abs(m) < 0.5]
unsupervised = dict(zip(sweeps, moves_target[:-1]))  # the six PCA and SeFa directions
strongest = max(unsupervised, key=lambda name: abs(unsupervised[name]))
quiet = [name for name, row in zip(sweeps, table.tolist()) if max(map(abs, row)) < 0.2]
""")
nb.finding("""
**{len(significant)}** of the {len(fits)} directions move the {target.name} with an interval that excludes zero,
{f"but for {', '.join(small)} the change over the whole t range is under half a standard deviation: detectable, not useful" if small else "and each of them by at least half a standard deviation over the t range"}.
Of the six unsupervised directions **{strongest}** moves it most, by **{unsupervised[strongest]:+.1f}** stds; the
boundary, fitted for it, by **{moves_target[-1]:+.1f}** (slope {fits[boundary.name].slope:.3f} per unit t, 95% CI
{fits[boundary.name].ci_low:.3f} to {fits[boundary.name].ci_high:.3f}). Read the rows across: whatever else moves with
the {target.name} along a direction shows in the other columns.
{f"The rows of {', '.join(quiet)} stay below a fifth of a std everywhere: whatever these directions change, these readings do not see it." if quiet else ""}
""")

# --------------------------------------------------------------------------------------------------- explorer
md("""
## 4. Explore the directions

`DirectionExplorer` gives every direction a slider (they add up) and shows the images, the assessors' mean readings
and the chosen direction's strip. Any `Direction` works: `direction.save(path)` and `Direction.load(path)` bring
those of 06a.
""")
code("""
from latentlab.widgets import DirectionExplorer

explorer = DirectionExplorer(G, {d.name: d for d in candidates}, assessors=readers, t_range=(-3.0, 3.0), rows=4, steps=5)
display(explorer)
""", ignore_output=True)
md("""
Its state can be driven from code too, as its tests do:
""")
code("""
state = explorer.state
start = state.readout()
state.set(boundary.name, 2.0)
moved = state.readout()
for name in start:
    print(f"{name:>13}: {start[name]:8.3f} at t = 0 → {moved[name]:8.3f} at t = +2 along the boundary")
state.reset()
""")

# --------------------------------------------------------------------------------------------------- W+
md("""
## 5. Several sliders at once, in W+ of a style-based generator

`shapes-stylegan` maps z to a style vector w and feeds one style per layer (W+). Coarse layers decide layout and
shape, fine layers colour and texture, so a W direction can act on a **range of layers** only, as in GANSpace:

- **SeFa in W** reads the weights of the style affines of the coarse convolutions;
- **GANSpace**: the first principal component of sampled w, applied to the fine layers;
- **InterFaceGAN**: a linear boundary between w whose images have a large and a small object.

The per-channel styles form one more space, StyleSpace (Wu et al., 2021): `space="stylespace"`.
""")
code("""
S = load_generator("shapes-stylegan")
coarse = [i for i, layer in enumerate(S.style_layers()) if ".conv" in layer.name and layer.index in S.mix_layers("coarse")]
sefa_w = style_sefa_directions(S, k=1, layers=coarse)[0]
gan_space = pca_directions(S, space="w", k=1, n_samples=1000, layers="fine")[0]
size_w = linear_boundary(S, ObjectSize(), space="w", n=240, seed=0, name="object size (boundary)")
for d in (sefa_w, gan_space, size_w):
    print(f"{d.name:24s} space {d.space}  W+ layers {'all' if d.layers is None else list(d.layers)}")
print(f"boundary accuracy on held-out samples: {size_w.info['accuracy']:.2f}")

style_directions = {"SeFa (coarse)": sefa_w, "GANSpace pc0 (fine)": gan_space, "object size": size_w}
style_explorer = DirectionExplorer(S, style_directions, space="w+", assessors={"object size": ObjectSize(),
                                   "colorfulness": Colorfulness()}, t_range=(-3.0, 3.0), rows=4, steps=5)
""")
code("""
display(style_explorer)
""", ignore_output=True)
md("""
From code: move the object-size slider alone, then add the fine-layer GANSpace slider.
""")
code("""
s = style_explorer.state
before = s.readout()
s.set("object size", 3.0)
size_only = s.readout()
s.set("GANSpace pc0 (fine)", 3.0)
both = s.readout()
for name in before:
    print(f"{name:13s} start {before[name]:.3f}   size slider {size_only[name]:.3f}   + fine slider {both[name]:.3f}")
fine_share = abs(both["object size"] - size_only["object size"]) / abs(size_only["object size"] - before["object size"])
s.set("GANSpace pc0 (fine)", 0.0)
s.direction = "object size"
show(s.strip(), nrow=len(s.t_values), row_labels=[f"latent {i}" for i in range(4)],
     col_labels=[f"t = {t:+.1f}" for t in s.t_values], title="Object-size boundary in W+ (other sliders held)")
""")
md("""
Look at the shapes themselves as well: neither assessor reads what kind of shape an object is.
""")
nb.finding("""
The boundary's slider takes the mean object size from **{before["object size"]:.3f}** to
**{size_only["object size"]:.3f}**, and colourfulness {"rises" if size_only["colorfulness"] > before["colorfulness"] else "falls"}
with it, from **{before["colorfulness"]:.0f}** to **{size_only["colorfulness"]:.0f}**. Adding the fine-layer GANSpace slider
{"changes the object size by less than a tenth of the boundary's change: the fine layers do not decide the object's extent" if fine_share < 0.1 else f"changes the object size by **{fine_share:.0%}** of the boundary's change: the fine layers take part in the object's extent"}.
""")
md("""
The edit saves and loads (`state.save_edit("edit.json")`, `state.load_edit(...)`, or the buttons). The repository's
benchmarks measure every method's directions against the Shapes ground truth over many more latents.
""")

# --------------------------------------------------------------------------------------------------- exercises
md("""
## Exercises
""")
nb.exercise(
    "the component that moves brightness",
    """Sweep the six PCA and SeFa directions with `Brightness()` only and print each slope with its $95\\%$ CI. Which
direction moves brightness most, and does its interval exclude zero?""",
    """`sweep_direction(G, d, Brightness(), T_WIDE, n=40, seed=2)` returns one `Sweep` under the name `"brightness"`;
its `.fit()` has `slope`, `ci_low` and `ci_high`.""",
    """
bright = {}
for d in pca + sefa:
    f = sweep_direction(G, d, Brightness(), T_WIDE, n=40, seed=2)["brightness"].fit()
    bright[d.name] = f
    print(f"{d.name}: slope {f.slope:+.4f}, 95% CI [{f.ci_low:+.4f}, {f.ci_high:+.4f}]")
best = max(bright, key=lambda n: abs(bright[n].slope))
print(f"most: {best}; interval excludes zero: {bright[best].ci_low > 0 or bright[best].ci_high < 0}")
""")
nb.exercise(
    "hold colourfulness fixed",
    """Can the W size boundary be made to leave colourfulness alone? Fit a colourfulness boundary in W, remove it from
the size boundary with `conditional_direction(size_w, colour_w)` (InterFaceGAN's conditional manipulation) and sweep
both directions with `ObjectSize()` and `Colorfulness()`. Does colourfulness drop *relative to* the size?""",
    """`linear_boundary(S, Colorfulness(), space="w", n=240, seed=0)`; sweep in W with
`sweep_direction(S, d, {...}, T_WIDE, n=40, seed=1)`; compare the ratio of the two slopes. If it barely changes, the
entanglement is in the world (a bigger object shows more of its colour), not in the direction.""",
    """
colour_w = linear_boundary(S, Colorfulness(), space="w", n=240, seed=0, name="colorfulness (boundary)")
held = conditional_direction(size_w, colour_w)
print(f"cos(size, colour boundaries) = {float(size_w.unit @ colour_w.unit):.1f}")
for d in (size_w, held):
    sw = sweep_direction(S, d, {"object size": ObjectSize(), "colorfulness": Colorfulness()}, T_WIDE, n=40, seed=1)
    size_slope, colour_slope = sw["object size"].fit().slope, sw["colorfulness"].fit().slope
    print(f"{d.name}: size slope {size_slope:.3f}, colourfulness slope {colour_slope:.1f}, "
          f"colour per size {colour_slope / size_slope:.0f}")
""")

nb.references("harkonen2020", "shen2021", "shen2020", "goetschalckx2019", "andonian2021", "karras2019", "wu2021")
nb.write()
