"""Build notebooks/06_directions.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb06.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/06_directions.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("06_directions")
md, code = nb.md, nb.code

md(f"""
{nb.badge}

# 06 · Directions: one straight line in latent space, one property of the image

Many properties of generated images change smoothly when the latent moves along a straight line: z → z + t·v.
Finding such a **direction** v turns a generator into a set of sliders. This notebook shows three ways to find one:

1. **Ask an assessor** (GANalyze, seed 000 ch. 3): learn θ so that moving by αθ changes a score (here: how big the
   object is) by exactly α.
2. **Transform images and invert them** (continuous factors, seed 002 ch. 4): shift generated images to the right,
   find the latents of the shifted images, and read the direction of "horizontal position" off the pairs. No assessor
   and no labels, only an image transformation.
3. **Read directions off the model** (baselines): the principal components of the generator's features (GANSpace-style
   PCA) and the eigenvectors of its first layer's weights (SeFa). Cheap, but nobody tells you what they mean.

A direction rarely moves *only* what it was made for. What else moves along it is its **entanglement**, and the Shapes
world, where every image's true position, size, colour and shape are known, lets us measure it.
Everything runs on a CPU with the embedded `shapes-biggan` and `shapes-probe`.
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to find directions of BigGAN-deep 128 (a 211 MB download into the
# cache, 1,000 ImageNet classes). The probe's readings (size, position) only exist in the Shapes world, so those parts
# are skipped or replaced by pixel properties then. With False nothing is downloaded and everything runs on a CPU.
USE_PRETRAINED = False
""")
code("""
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from latentlab import load_generator, make_grid, show_grid as show
from latentlab.assessors import Brightness, Centeredness, Colorfulness, IntensityEntropy, ObjectSize, ProbeFactor, Squareness
from latentlab.methods import (Direction, estimate_trajectories, fit_factor, ganalyze, get_transformation, invert,
                               pca_directions, plot_sweeps, sefa_directions, sweep_direction)

torch.set_num_threads(1)  # these networks are so small that splitting each operation over threads costs more than it saves
if USE_PRETRAINED:
    G = load_generator("biggan-deep-128", device="cuda")
else:
    G = load_generator("shapes-biggan")  # embedded weights, verified by checksum


print("latent dimension:", G.latent_dim, "| resolution:", G.resolution)
""")

# --------------------------------------------------------------------------------------------------- GANalyze
md("""
## 1. GANalyze: a direction that moves an assessor's score

An **assessor** A scores images (seed 000 §3.2). GANalyze looks for one vector θ in latent space such that stepping by
α along it, T(z, α) = z + αθ, changes the score by exactly α:

$$\\theta^* = \\arg\\min_\\theta \\; \\mathbb{E}_{z, y, \\alpha}\\Big[\\big(A(G(z + \\alpha\\theta, y)) - (A(G(z, y)) + \\alpha)\\big)^2\\Big],
\\qquad \\alpha \\sim U(\\alpha_{\\min}, \\alpha_{\\max}).$$

Read the loss left to right: generate the moved image, score it, and compare with the score the *original* image had
plus α. Only θ is trained; the generator and the assessor stay frozen, so the gradient flows *through* both of them
into θ. That is why the assessor must be differentiable. The training set of triples (z, y, α) is drawn once and the
original scores A(G(z, y)) are computed once, in big batches, as in the paper.

Our assessor is `ObjectSize`: the share of the image the object covers, read from the `shapes-probe` mask. The object
covers about 14% of a typical image, so α between −0.1 and +0.1 asks for objects from a little to a lot smaller or
bigger. 30 steps of 8 examples is a very short training run, enough to see the idea.
""")
code("""
if USE_PRETRAINED:  # the object mask comes from the Shapes probe, so on ImageNet images steer a pixel property instead
    target = Brightness()
    properties = {"brightness": target, "colorfulness": Colorfulness(), "entropy": IntensityEntropy()}
else:
    target = ObjectSize()
    properties = {"object size": target, "brightness": Brightness(), "centeredness": Centeredness(),
                  "squareness": Squareness(), "colorfulness": Colorfulness(), "entropy": IntensityEntropy()}

result = ganalyze(G, target, steps=30, batch_size=8, lr=0.3, alpha_range=(-0.1, 0.1), seed=3, progress=False)
early, late = sum(result.history[:5]) / 5, sum(result.history[-5:]) / 5
print(f"loss over the first 5 steps {early:.4f}, over the last 5 steps {late:.4f}")
print(f"|θ| = {result.theta.norm():.0f}  (a prior latent has |z| ≈ √{G.latent_dim} ≈ {G.latent_dim ** 0.5:.0f})")
plt.figure(figsize=(3.4, 2.2), dpi=80)
plt.plot(result.history); plt.xlabel("step"); plt.ylabel("loss (batch of 8)"); plt.yscale("log")
plt.show()
""")
md("""
The loss is noisy (each step sees 8 new examples), and 30 steps are too few for the loss alone to show progress: the
two averages above are of the same size. Whether θ works is what the validation below measures. θ comes out long:
α = 0.1 moves a latent by about 4, a third of the length of a typical latent. Two options of `ganalyze` change this picture: `rescale=True` puts every moved latent
back at its original norm, so moves stay on the shell where the prior's latents live, and `class_dependent=True` learns
one θ per class, for properties that different classes show in different ways.
""")
md("""
### The visual definition

`visual_definition_grid` moves a few fresh latents along θ: one row per latent, α from −0.1 (left) to +0.1 (right).
This is what the direction *means*, shown rather than described (seed 000 calls it the "visual definition").
""")
code("""
ALPHAS = (-0.1, -0.05, 0.0, 0.05, 0.1)
grid = result.visual_definition_grid(G, n=4, alphas=ALPHAS, seed=0)  # one image [3, H', W']
plt.figure(figsize=(4.4, 3.8), dpi=80)
plt.imshow(grid.cpu().permute(1, 2, 0)); plt.axis("off")
plt.title(f"{target.name}: α = {ALPHAS[0]} … {ALPHAS[-1]}", fontsize=9)
plt.show()
""")
md("""
### Does it work? The validation plot

A few good-looking rows prove little. The validation (seed 000 Fig. 3-2A) moves 60 *held-out* latents to each α, scores
every image and fits one line: score = intercept per latent + slope · α. Every latent is seen at every α, so each latent
gets its own intercept and only the change with α counts. A perfect θ has slope 1 (the score moves by exactly α);
a slope whose 95% confidence interval lies above 0 shows that the direction really moves the score.
""")
code("""
validation = result.validation(G, target, alphas=ALPHAS, n=60, seed=1)
fit = validation.fit()
print(f"slope {fit.slope:.2f}, 95% CI [{fit.ci_low:.1f}, {fit.ci_high:.1f}]")  # one decimal: the bounds sit near rounding edges
validation.plot(); plt.show()
""")
md("""
The slope is well above 0 but below 1: 30 steps of 8 images is a short run, and more training brings the slope closer
to 1.

### Emerging factors: what else moves?

The same images, scored by *other* assessors (seed 000 Fig. 3-2B). Nothing asked θ to change these; when they move
anyway, they are **entangled** with the target along θ. Some entanglement is in the world itself (a bigger bright
object makes a brighter, more colourful image); some is a choice the direction made (changing the shape as well as
the size, say). GANalyze does not tell the two apart: it finds *a* way to raise the score, not the cleanest one.
""")
code("""
others = {name: a for name, a in properties.items() if a is not target}
sweeps = {target.name: validation, **result.sweep(G, others, alphas=ALPHAS, n=60, seed=1)}
plot_sweeps(sweeps, ncols=3); plt.show()
for name, s in sweeps.items():
    spread = s.scores[:, len(ALPHAS) // 2].std()  # how much the property varies between images at α = 0
    print(f"{name:>13}: moves {s.fit().slope * (ALPHAS[-1] - ALPHAS[0]) / spread:+.1f} image-to-image stds over the α range")
""")
md("""
Each number is the change from α = −0.1 to α = +0.1 measured in units of how much that property varies from one image to
the next, so properties with different units can be compared. Centeredness and colourfulness move nearly as much
as the size itself: this θ makes objects bigger, but also more central and more saturated. Look back at the visual
definition: objects drift towards the middle and some change colour as they grow. Nothing in the loss asked for
that, and nothing in it forbids it.
""")

# --------------------------------------------------------------------------------------------------- continuous factors
md("""
## 2. Continuous factors: transform, invert, fit (Plumerault et al., seed 002 ch. 4)

GANalyze needs an assessor. Here we only need an **image transformation** T_t whose parameter is the factor: `shift_x`
moves the content right by t of the image width. If G(z₀) shows an object, the shifted image T_δt(G(z₀)) shows the
same object δt further right; if we can find a latent z_δt that generates it, then z_δt − z₀ tells us how the latent
encodes "horizontal position".

### Step 1: inversion (eqs. 4.1–4.5)

Finding z with G(z) ≈ target is **inversion** by optimisation: gradient descent on a reconstruction loss. Two details matter:

* **The blurred MSE.** The loss compares *blurred* images, ‖g_σ * (G(z) − target)‖² with a Gaussian g_σ. With plain MSE a
  sharp-edged object that sits a few pixels off overlaps the target hardly at all, and a small move of the latent
  changes the error only at the edges: the gradient says little about which way to go. Blurring spreads every edge
  over σ pixels, so overlap, and the gradient towards it, starts earlier: a smooth valley instead of a flat plain.
  Pixels the shift leaves **undefined** (the strip uncovered on the left) are masked out of the loss, since nothing
  is known about them.
* **The ball ‖z‖ ≤ √d.** In d = 120 dimensions almost all of the prior's mass lies near the sphere of radius √d. Left
  alone, the optimiser can wander to latents of huge norm that the generator never saw in training and that match
  pixels for the wrong reasons. Projecting z back into the ball after every step keeps it where the generator is
  meaningful.

Below: one generated image, the same shifted by 15% of the width (the black strip is undefined), and the image of the
latent found from z₀ in 30 steps.
""")
code("""
z0 = G.sample_latents(2, seed=11)
y0 = G.sample_classes(2, seed=11)
with torch.no_grad():
    original = G(z0, y0).clamp(0, 1)
shifted, valid = get_transformation("shift_x")(original, 0.15)
found = invert(G, shifted, valid=valid, classes=y0, z_init=z0, steps=30, lr=0.05, sigma=3.0, optimizer="isotropic")
print(f"blurred MSE {found.history[0]:.4f} at the start → {found.loss.mean():.4f} after {len(found.history)} steps")
show(torch.stack([original.cpu(), shifted.cpu(), found.images.cpu()], dim=1).flatten(0, 1), nrow=3,
     title="G(z₀) · shifted target · G(z found)", scale=1.2)
""")
md("""
### Step 2: trajectories (Algorithm 1, eq. 4.9)

Inverting a *strongly* shifted image in one go stalls: far from the answer, the pixel-space gradient points almost
orthogonally to the curved set of images the generator can make. So each trajectory walks in small steps,
δt₁ < δt₂ < … < T, and each inversion starts from the latent found for the previous step. Every step adds a record
(z₀, z_δt, δt). Records whose reconstruction error lies above a threshold Θ (by default the worst 10%) are dropped as
outliers. Half of the trajectories walk right, half walk left.

### Step 3: the direction u and the curve g_θ (eqs. 4.12–4.13)

The factor is modelled as f(z) = g_θ(⟨z, u⟩): project the latent on a unit vector u and pass the coordinate through a
monotone piecewise-linear curve g_θ. We never observe the absolute position, only the change δt, so u and θ minimise
the error between δt and g_θ(⟨z_δt, u⟩) − g_θ(⟨z₀, u⟩).

The run below is deliberately tiny (12 trajectories of 3 steps of 10 inversion iterations, about 30 records);
`python -m benchmarks.directions` uses more.
""")
code("""
SMALL = dict(n=12, steps=3, iterations=10) if not USE_PRETRAINED else dict(n=64, steps=5, iterations=50)
trajectories = estimate_trajectories(G, "shift_x", t_max=0.2, lr=0.05, sigma=3.0, seed=1, progress=False, **SMALL)
print(f"{len(trajectories)} of {len(trajectories.dt)} records kept (threshold Θ = {trajectories.threshold:.4f})")
factor = fit_factor(trajectories, seed=0)
print(f"fitted u (|u| = {factor.u.norm():.2f}) and g_θ on {len(factor.knots)} knots")

plt.figure(figsize=(3.4, 2.6), dpi=80)
plt.plot(factor.knots.tolist(), factor.values.tolist(), "o-", ms=3)
plt.xlabel("coordinate ⟨z, u⟩"); plt.ylabel("shift g_θ (fraction of width)"); plt.title("g_θ", fontsize=9)
plt.show()
""")
md("""
g_θ is the factor as a function of the coordinate along u: here close to a straight line, so over this range equal
steps along u move the object by equal amounts. Its slope converts latent units into fractions of the image width.
""")
md("""
### Control: set the coordinate along u

To *control* the factor, replace each latent's coordinate along u by a chosen value t:
z ← z − ⟨z, u⟩u + t·u (seed 002 §4.4.1). Every latent then lands at the same coordinate, so, if u is a clean direction,
every image lands at the same position, whatever its shape or colour. Each row below is one latent, t from −2 to 2.
""")
code("""
T_VALUES = (-2.0, -1.0, 0.0, 1.0, 2.0)
z = G.sample_latents(4, seed=5)
y = G.sample_classes(4, seed=5)
with torch.no_grad():
    rows = torch.stack([G(factor.control(z, t), y) for t in T_VALUES], dim=1)  # [4, T, 3, H, W]
show(rows.flatten(0, 1), nrow=len(T_VALUES), title="z − ⟨z,u⟩u + t·u,  t = −2 … 2")
""")
md("""
### Measured control and entanglement

Because the Shapes world has ground truth, `shapes-probe` can *measure* the object's position along u: the probe's x
(0 = left edge, 1 = right edge) for 40 held-out latents at each t. A good factor direction moves x monotonically with
a small spread between latents at each t. The other panels show the entanglement: what the direction moves besides x.
""")
code("""
if not USE_PRETRAINED:
    readers = {"probe x": ProbeFactor("x"), "probe y": ProbeFactor("y"), "probe scale": ProbeFactor("scale"),
               "brightness": Brightness()}
    control = sweep_direction(G, factor.direction, readers, T_VALUES, n=40, seed=7)
    figure = plot_sweeps(control, ncols=4)
    for ax in figure.axes: ax.set_xlabel("t (coordinate along u)", fontsize=8)
    plt.show()
    x = control["probe x"]
    # (printed coarsely: the fitted direction, and so the second decimal, varies with float rounding)
    means = x.means.tolist()
    print(f"mean x from t = {T_VALUES[0]:+.0f} to t = {T_VALUES[-1]:+.0f}: about {means[0]:.1f} → {means[-1]:.1f}")
    print("rises at every step:", all(b > a for a, b in zip(means, means[1:])))
    print("largest std of x between latents at one t below 0.1 of the image width:", bool(x.stds.max() < 0.1))
""")
md("""
x moves steadily from left of centre to right of centre, and at each t the 40 objects sit within a few hundredths of
the image width of each other: one coordinate sets the position of every image. The other panels show the
entanglement: y drifts a little, scale and brightness hardly move. Look back at the control strips, though: in some
rows the object's *colour* changes too, a factor these four readings do not see. With about 30 records for a
120-dimensional u this is a rough estimate, and still a usable one.
""")

# --------------------------------------------------------------------------------------------------- baselines
md("""
## 3. Baselines: directions for free

Both methods above were told which property to look for. Two classic baselines are not; they return whichever
directions the model varies most along, and you find out what each one does by looking.

* **PCA in feature space** (GANSpace-style): sample many latents, run the first layer (`stem`), take the principal
  components of those features, and regress the latents on the component coordinates to get latent directions.
* **SeFa**: the first layer maps z to Az + b, so moving z by n changes its output by An. The unit vectors n that
  change it most are the top eigenvectors of AᵀA, read straight off the weights: no sampling, no training.

Each panel shows three latents moved by t·v, t from −3 to 3, along one of the first three components. In
`shapes-biggan` the first layer reads only the first chunk of the latent (the other chunks condition later blocks), so
SeFa's directions live in those entries.
""")
code("""
pca = pca_directions(G, layer="stem", k=3, n_samples=500, seed=0)
if USE_PRETRAINED:  # BigGAN-deep's first layer reads [z, class embedding]: keep the columns that read z
    sefa = sefa_directions(G, k=3, weight=G.generator.gen_z.weight()[:, :G.latent_dim].detach())
else:
    sefa = sefa_directions(G, k=3)
print("PCA explained variance:", [round(d.info["explained_variance"], 2) for d in pca])
print("SeFa eigenvalues:      ", [round(d.info["eigenvalue"], 2) for d in sefa])
print("|cos(pca_i, sefa_i)|:  ", [round(abs(float(p.unit @ s.unit)), 2) for p, s in zip(pca, sefa)])

T_WIDE = (-3.0, -1.5, 0.0, 1.5, 3.0)
z = G.sample_latents(3, seed=21)
y = G.sample_classes(3, seed=21)
fig, axes = plt.subplots(2, 3, figsize=(9, 4.2), dpi=70)
with torch.no_grad():
    for ax, d in zip(axes.flat, pca + sefa):
        strip = torch.stack([G(d.move(z, t), y) for t in T_WIDE], dim=1).flatten(0, 1)  # [3 × T, 3, H, W]
        ax.imshow(make_grid(strip.clamp(0, 1).cpu(), nrow=len(T_WIDE)).permute(1, 2, 0)); ax.axis("off")
        ax.set_title(f"{d.name}: t = −3 … 3", fontsize=9)
plt.tight_layout(); plt.show()
""")
md("""
Two findings on `shapes-biggan`. First, the two baselines do not agree. Both spectra are flat at the top (PCA
explains 17, 13 and 12 % of the variance with its first three components; SeFa's first eigenvalues are 1.02, 1.01 and
0.44), so neither method singles out one direction, and directions of the same rank are nearly orthogonal (|cos|
below 0.1). Second, every component changes several things at once: the object's rotation with its colour, its size
with its position. That is entanglement again, the price of directions found without saying what you want.
`python -m benchmarks.directions` picks, for each ground-truth factor, the component that moves it most and measures how
precisely it does so, next to GANalyze's and the continuous factors' directions.
""")

# --------------------------------------------------------------------------------------------------- explorer
md("""
## 4. Explore the directions

`DirectionExplorer` puts the learned directions behind a slider: pick a direction, move t, and watch the images, the
assessors' mean scores, and the strip of the visual definition (one latent per row, t from left to right).

The slider's range is shared by all directions, but the directions live on different scales: the continuous factor
*sets* the coordinate along u (t = ±2 is two standard deviations of the prior), while GANalyze *adds* αθ with α
trained in ±0.1. So θ is rescaled to make t = ±2 mean α = ±0.1.
""")
code("""
from latentlab.widgets import DirectionExplorer

size_direction = Direction(0.05 * result.theta, f"{target.name} (GANalyze)", "ganalyze")  # t = 2 ↔ α = 0.1
directions = {size_direction.name: size_direction, "x (continuous factor)": factor.direction,
              "pca0": pca[0], "sefa0": sefa[0]}
readouts = {name: a for name, a in properties.items() if name in ("object size", "brightness", "colorfulness")}
if not USE_PRETRAINED:
    readouts["probe x"] = ProbeFactor("x")
explorer = DirectionExplorer(G, directions, assessors=readouts, t_range=(-2.0, 2.0), rows=4, steps=5)
display(explorer)
""", ignore_output=True)
md("""
The explorer's state can also be driven from code, which is how its tests run it without a browser:
""")
code("""
explorer.state.direction = "x (continuous factor)"
explorer.state.t = 1.5
explorer.flush()
readout = explorer.state.readout()
print("readouts:", ", ".join(readout))
print("at t = 1.5 the object sits right of centre:", readout["probe x"] > 0.5)
""")

# --------------------------------------------------------------------------------------------------- W+
md("""
## 5. Several sliders at once, in W+ of a style-based generator

`shapes-stylegan` maps z through a mapping network to a style vector w, and feeds one style per layer (W+). Coarse
layers (4–8 px) decide layout and shape, fine layers colour and texture, so a direction in W can be applied to a
**range of layers** only — the per-layer edits of GANSpace. Three directions, each meant for some layers:

- **SeFa in W** reads the weights of the style affines of the coarse convolutions (no sampling, no training);
- **GANSpace**: the first principal component of sampled w, applied to the fine layers;
- **InterFaceGAN**: a linear boundary between w whose images have a large and a small object, from labelled samples.

Every direction records its space and its layers; the explorer, built in W+, moves each one only on its own layers.
""")
code("""
from latentlab.methods.boundaries import linear_boundary
from latentlab.methods.sefa import style_sefa_directions

S = load_generator("shapes-stylegan")
coarse = [i for i, layer in enumerate(S.style_layers()) if ".conv" in layer.name and layer.index in S.mix_layers("coarse")]
sefa_w = style_sefa_directions(S, k=1, layers=coarse)[0]
gan_space = pca_directions(S, space="w", k=1, n_samples=1000, layers="fine")[0]
size_w = linear_boundary(S, ObjectSize(), space="w", n=240, seed=0, name="object size (boundary)")
for d in (sefa_w, gan_space, size_w):
    print(f"{d.name:24s} space {d.space}  W+ layers {'all' if d.layers is None else list(d.layers)}")
print("boundary accuracy on held-out samples:", size_w.info["accuracy"])
""")
code("""
style_directions = {"SeFa (coarse)": sefa_w, "GANSpace pc0 (fine)": gan_space, "object size": size_w}
style_explorer = DirectionExplorer(S, style_directions, space="w+", assessors={"object size": ObjectSize(),
                                   "colorfulness": Colorfulness()}, t_range=(-3.0, 3.0), rows=4, steps=5)
display(style_explorer)
""", ignore_output=True)
md("""
Each slider adds its direction on its own layers and the edits add up. From code, as the tests drive it: move the
object-size slider alone, then add the fine-layer GANSpace slider, and read the assessors each time.
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
s.reset()
print("after reset:", {k: round(v, 3) for k, v in s.readout().items()} == {k: round(v, 3) for k, v in before.items()})
""")
code("""
s.direction = "object size"
strip = s.strip()  # rows: latents; columns: t from -3 to 3 along the boundary's normal, other sliders held
plt.figure(figsize=(6, 5), dpi=70)
plt.imshow(make_grid(strip, nrow=len(s.t_values)).permute(1, 2, 0)); plt.axis("off")
plt.title("object size boundary in W+: t = −3 … 3", fontsize=9); plt.show()
""")
md("""
The boundary's normal raises the object size, and colourfulness rises with it: the two are entangled along this
direction. Adding the fine-layer GANSpace component on top leaves both readings nearly where they were, since the
fine layers do not decide the object's extent. Reset puts every slider back and returns the starting readings.
""")
md("""
The edit can be saved and loaded back (`state.save_edit("edit.json")`, `state.load_edit(...)`, or the buttons of
the explorer). Directions themselves save to safetensors with their space and layers (`direction.save(path)`,
`Direction.load(path)`).
""")

# --------------------------------------------------------------------------------------------------- pointer
md("""
## 6. Measured against ground truth

One notebook run shows what the methods do; how *well* they do it needs many latents and every factor. From the
repository root,

```
python -m benchmarks.directions --quick
```

moves at least 200 latents along the directions of every method (continuous factors, GANalyze, PCA, SeFa) for each
Shapes factor (x, y, scale, brightness, hue), reads the factors with `shapes-probe`, and writes
`benchmarks/results/directions.json`: per method and factor the mean and spread of the factor at each t (`max_std`),
its `range`, whether it moves `monotonic`ally, and the `entanglement` row (how much every other factor and the class
move). It also reports GANalyze's object-size slope with its 95% CI and the β-VAE study of seed 002 §4.4.3: how
precisely a direction found in a β-VAE controls position as β grows.
""")

nb.write()
