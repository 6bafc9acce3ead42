"""Build notebooks/06a_directions_by_search.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb06a.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/06a_directions_by_search.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("06a_directions_by_search")
md, code = nb.md, nb.code

md(f"""
{nb.badge}

# 06a · Directions found by search: GANalyze and continuous factors

Many properties of a generated image change smoothly when its latent moves along a straight line, z → z + t·v. Such
a **direction** v turns the generator into a slider. Here an optimiser *searches* for the v that moves a chosen
property (notebook 06b reads directions off the model in closed form instead):

1. **GANalyze** (Goetschalckx et al., 2019; Andonian, 2021, ch. 3) learns θ so that a step αθ changes an assessor's
   score by exactly α.
2. **Continuous factors** (Plumerault et al., 2020; Plumerault, 2023, ch. 4) need no assessor: shift generated images,
   find the latents of the shifted images, and read "horizontal position" off the pairs.

A direction rarely moves *only* what it was made for; what else moves is its **entanglement**. In the Shapes world
`shapes-probe` reads every image's position and size, so we can measure it. Everything runs on a CPU with the
embedded `shapes-biggan`, a small BigGAN (Brock et al., 2019).
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to find directions of BigGAN-deep 128 (a 211 MB download into the
# cache, 1,000 ImageNet classes). The probe's readings (size, position) only exist in the Shapes world, so GANalyze
# steers brightness then and the ground-truth measurements are skipped. With False nothing is downloaded and
# everything runs on a CPU.
USE_PRETRAINED = False
""")
code("""
import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display

from latentlab import load_generator, show_grid as show
from latentlab.assessors import Brightness, Centeredness, Colorfulness, IntensityEntropy, ObjectSize, ProbeFactor, Squareness
from latentlab.methods import estimate_trajectories, fit_factor, ganalyze, get_transformation, invert, plot_sweeps, sweep_direction

torch.set_num_threads(1)  # these networks are so small that splitting each operation over threads costs more than it saves
if USE_PRETRAINED:
    G = load_generator("biggan-deep-128", device="cuda")
else:
    G = load_generator("shapes-biggan")  # embedded weights, verified by checksum
print("latent dimension:", G.latent_dim, "| resolution:", G.resolution)
""")
code('''
def moves_in_stds(sweeps):
    """How far each property moves over the whole α (or t) range, in units of how much it varies from image to image
    at the middle value: properties with different units become comparable."""
    moved = {}
    for name, s in sweeps.items():
        spread = s.scores[:, len(s.alphas) // 2].std()
        moved[name] = float(s.fit().slope * (s.alphas[-1] - s.alphas[0]) / spread)
    return moved


def label_sweep_axes(figure, xlabel):
    """plot_sweeps draws one panel per property; give each a y label, a common x label and a title."""
    for ax in figure.axes:
        if ax.has_data():
            ax.set_xlabel(xlabel, fontsize=8)
            ax.set_ylabel("mean score ± s.e.", fontsize=8)
    figure.set_dpi(100)
    return figure
''')

# --------------------------------------------------------------------------------------------------- GANalyze
md("""
## 1. GANalyze: a direction that moves an assessor's score

GANalyze looks for one vector θ such that T(z, α) = z + αθ changes an **assessor** A's score by exactly α:

$$\\theta^* = \\arg\\min_\\theta \\; \\mathbb{E}_{z, y, \\alpha}\\Big[\\big(A(G(z + \\alpha\\theta, y)) - (A(G(z, y)) + \\alpha)\\big)^2\\Big],
\\qquad \\alpha \\sim U(\\alpha_{\\min}, \\alpha_{\\max}).$$

Generate the moved image, score it, and compare with the *original* image's score plus α. Only θ is trained: the
gradient flows *through* the frozen generator and assessor into θ, so the assessor must be differentiable. Our
assessor is `ObjectSize`, the share of the image the object covers, with $\\alpha \\in [-0.1, 0.1]$; thirty steps of
eight examples is a very short run, enough to see the idea.
""")
code("""
if USE_PRETRAINED:  # the object mask comes from the Shapes probe, so on ImageNet images steer a pixel property instead
    target = Brightness()
    properties = {"brightness": target, "colorfulness": Colorfulness(), "entropy": IntensityEntropy()}
else:
    target = ObjectSize()
    properties = {"object size": target, "brightness": Brightness(), "centeredness": Centeredness(),
                  "squareness": Squareness(), "colorfulness": Colorfulness(), "entropy": IntensityEntropy()}
ALPHA_RANGE = (-0.1, 0.1)
result = ganalyze(G, target, steps=30, batch_size=8, lr=0.3, alpha_range=ALPHA_RANGE, seed=3)

early, late = sum(result.history[:5]) / 5, sum(result.history[-5:]) / 5
theta_norm, z_norm = float(result.theta.norm()), G.latent_dim ** 0.5
with torch.no_grad():
    typical = float(target(G(G.sample_latents(200, seed=0), G.sample_classes(200, seed=0)).clamp(0, 1)).mean())
print(f"mean loss: first 5 steps {early:.2g}, last 5 steps {late:.2g} | |θ| = {theta_norm:.0f}, |z| ≈ {z_norm:.0f}")

fig, ax = plt.subplots(figsize=(4.5, 3), dpi=100)
ax.plot(result.history)
ax.set(xlabel="training step", ylabel="loss on the batch of 8", yscale="log", title=f"GANalyze training: {target.name}")
plt.show()
""")
nb.finding("""
A typical image's {target.name} is **{typical:.2g}**, so α = ±{ALPHA_RANGE[1]} asks for a {"large" if ALPHA_RANGE[1] > 0.3 * typical else "modest"}
change. The noisy loss (each step sees eight new examples) averages **{early:.2g}** over the first five steps and
**{late:.2g}** over the last five: {"a clear drop" if late < 0.7 * early else "too close to show progress, so the validation below must tell"}.
θ comes out long: |θ| = **{theta_norm:.0f}**, so α = {ALPHA_RANGE[1]} moves a latent by
**{ALPHA_RANGE[1] * theta_norm:.1f}**, **{ALPHA_RANGE[1] * theta_norm / z_norm:.1f}** of a typical latent's length.
""")
md("""
`rescale=True` would put every moved latent back at its original norm, where the prior's latents live;
`class_dependent=True` learns one θ per class.

### The visual definition

Fresh latents moved along θ show what the direction *means*, its "visual definition":
""")
code("""
ALPHAS = (-0.1, -0.05, 0.0, 0.05, 0.1)
rows = result.visual_definition(G, n=4, alphas=ALPHAS, seed=0)  # [4 latents, 5 α, 3, H, W]
show(rows.flatten(0, 1), nrow=len(ALPHAS), row_labels=[f"latent {i}" for i in range(len(rows))],
     col_labels=[f"α = {a:+.2f}" for a in ALPHAS], title=f"Visual definition of θ ({target.name})")
""")
md("""
### Does it work? The validation plot

A few good rows prove little. The validation (Andonian, 2021, Fig. 3-2A) moves 60 *held-out* latents to every α and
fits score = intercept per latent + slope · α: each latent keeps its own intercept, only the change with α counts. A
perfect θ has slope 1; a $95\\%$ confidence interval above zero shows that θ really moves the score.
""")
code("""
validation = result.validation(G, target, alphas=ALPHAS, n=60, seed=1)
fit = validation.fit()
print(f"slope {fit.slope:.2f}, 95% CI [{fit.ci_low:.1f}, {fit.ci_high:.1f}]")  # one decimal: the bounds sit near rounding edges
fig, ax = plt.subplots(figsize=(4.5, 3.2), dpi=100)
validation.plot(ax=ax)
ax.set(title=f"Validation on 60 held-out latents: {target.name}", ylabel=f"mean {target.name} ± s.e.")
plt.show()
""")
nb.finding("""
The slope is **{fit.slope:.2f}** (95% CI **{fit.ci_low:.1f}** to **{fit.ci_high:.1f}**):
{"the interval lies above zero, so θ really moves the score" if fit.ci_low > 0 else "the interval reaches zero, so this θ is not shown to move the score"},
{"but below 1: a short run, and longer training brings it closer to 1." if fit.ci_high < 1 else "and it reaches 1: the score moves by about α, as asked."}
""")
md("""
### Emerging factors: what else moves?

The same images, scored by *other* assessors (Andonian, 2021, Fig. 3-2B). What moves although nobody asked is
**entangled** with the target along θ, either in the world itself (a bigger object shows more of its colour) or by the
direction's choice; GANalyze finds *a* way to raise the score, not the cleanest. The numbers are the change over the
α range in image-to-image standard deviations, so that different units compare.
""")
code("""
others = {name: a for name, a in properties.items() if a is not target}
sweeps = {target.name: validation, **result.sweep(G, others, alphas=ALPHAS, n=60, seed=1)}
label_sweep_axes(plot_sweeps(sweeps, ncols=3), "α").suptitle("Mean score of every assessor along θ", y=1.02)
plt.show()
moved = moves_in_stds(sweeps)
for name, m in moved.items():
    print(f"{name:>13}: moves {m:+.1f} image-to-image stds over the α range")
entangled = [name for name, m in moved.items() if name != target.name and abs(m) >= 0.5 * abs(moved[target.name])]
""")
nb.finding("""
The {target.name} itself moves by **{moved[target.name]:+.1f}** stds.
{("At least half as far move: " + ", ".join(f"**{n}** ({moved[n]:+.1f})" for n in entangled) + ". Look for it in the visual definition; nothing in the loss forbids it.") if entangled else "No other property moves even half as far: along this θ the target is close to the only thing that changes."}
""")

# --------------------------------------------------------------------------------------------------- continuous factors
md("""
## 2. Continuous factors: transform, invert, fit

Plumerault et al. (2020) need only an **image transformation** T_t whose parameter is the factor: `shift_x` moves the
content right by t of the width. A latent z_δt that generates T_δt(G(z₀)) tells us, through z_δt − z₀, how the latent
encodes "horizontal position".

### Step 1: inversion

Finding z with G(z) ≈ target is **inversion**, gradient descent on a reconstruction loss (Plumerault, 2023, ch. 4),
with two details:

* **Blurred MSE.** A sharp object a few pixels off hardly overlaps the target, so plain MSE gives little gradient;
  blurring spreads the edges so that overlap, and the pull towards it, starts earlier. Pixels the shift leaves
  **undefined** are masked out.
* **The ball ‖z‖ ≤ √d.** The prior's mass lies near the sphere of radius √d; projecting z back after every step keeps
  it where the generator is meaningful.
""")
code("""
SHIFT = 0.15
z0, y0 = G.sample_latents(2, seed=11), G.sample_classes(2, seed=11)
with torch.no_grad():
    original = G(z0, y0).clamp(0, 1)
shifted, valid = get_transformation("shift_x")(original, SHIFT)
found = invert(G, shifted, valid=valid, classes=y0, z_init=z0, steps=30, lr=0.05, sigma=3.0, optimizer="isotropic")
show(torch.stack([original.cpu(), shifted.cpu(), found.images.cpu()], dim=1).flatten(0, 1), nrow=3,
     row_labels=["latent A", "latent B"], col_labels=["G(z₀)", f"shifted by {SHIFT:.0%}", "G(z found)"],
     title="Inverting a shifted image (black: undefined)")
""")
nb.finding("""
In {len(found.history)} steps the blurred MSE falls from **{found.history[0]:.2g}** to **{float(found.loss.mean()):.2g}**.
""")
md("""
### Step 2: trajectories

Inverting a *strongly* shifted image in one go stalls, so each trajectory walks in small steps δt₁ < δt₂ < … < T,
each inversion starting from the previous step's latent (Plumerault, 2023, Algorithm 1). Every step adds a record
(z₀, z_δt, δt); the worst tenth by reconstruction error is dropped. Half the trajectories walk right, half left.

### Step 3: the direction u and the curve g_θ

The factor is modelled as f(z) = g_θ(⟨z, u⟩), a monotone piecewise-linear curve of the coordinate along a unit vector
u. Only changes are observed, so u and θ minimise the error between δt and g_θ(⟨z_δt, u⟩) − g_θ(⟨z₀, u⟩). The run is
tiny: twelve trajectories of three steps.
""")
code("""
SMALL = dict(n=12, steps=3, iterations=10) if not USE_PRETRAINED else dict(n=64, steps=5, iterations=50)
trajectories = estimate_trajectories(G, "shift_x", t_max=0.2, lr=0.05, sigma=3.0, seed=1, **SMALL)
factor = fit_factor(trajectories, seed=0)
print(f"{len(trajectories)} of {len(trajectories.dt)} records kept (threshold Θ = {trajectories.threshold:.2g})")

knots, values = factor.knots.tolist(), factor.values.tolist()
gain = float(factor.g(torch.tensor([1.0])) - factor.g(torch.tensor([-1.0]))) / 2  # shift per unit along u near 0
fig, ax = plt.subplots(figsize=(4.5, 3.2), dpi=100)
ax.plot(knots, values, "o-", ms=3)
ax.set(xlabel="coordinate ⟨z, u⟩", ylabel="g_θ: shift (fraction of the width)", title="The fitted curve g_θ")
plt.show()
""")
nb.finding("""
**{len(trajectories)}** records for a {G.latent_dim}-dimensional u make a rough estimate. g_θ converts the coordinate
into a shift: near the origin one unit along u moves the object by **{gain:.0%}** of the width.
""")
md("""
### Control: set the coordinate along u

Replacing each latent's coordinate along u by a chosen t, z ← z − ⟨z, u⟩u + t·u (Plumerault, 2023, §4.4.1), should
put every object at the same position, whatever its shape or colour.
""")
code("""
T_VALUES = (-2.0, -1.0, 0.0, 1.0, 2.0)
z, y = G.sample_latents(4, seed=5), G.sample_classes(4, seed=5)
with torch.no_grad():
    rows = torch.stack([G(factor.control(z, t), y) for t in T_VALUES], dim=1)  # [4 latents, 5 t, 3, H, W]
show(rows.flatten(0, 1), nrow=len(T_VALUES), row_labels=[f"latent {i}" for i in range(len(z))],
     col_labels=[f"t = {t:+.0f}" for t in T_VALUES], title="z − ⟨z,u⟩u + t·u")
""")
md("""
### Measured control and entanglement

The probe *measures* x (0 at the left edge, 1 at the right) for 40 held-out latents at each t. A good factor moves x
monotonically with a small spread at each t; the other panels show what else moves.
""")
code("""
if USE_PRETRAINED:  # no ground-truth position on ImageNet images: read pixel properties only
    readers = {"brightness": Brightness(), "colorfulness": Colorfulness()}
else:
    readers = {"probe x": ProbeFactor("x"), "probe y": ProbeFactor("y"), "probe scale": ProbeFactor("scale"),
               "brightness": Brightness(), "colorfulness": Colorfulness()}
control = sweep_direction(G, factor.direction, readers, T_VALUES, n=40, seed=7)
label_sweep_axes(plot_sweeps(control, ncols=5), "t (coordinate along u)").suptitle("Readings along u", y=1.05)
plt.show()
side = moves_in_stds({name: s for name, s in control.items() if name != "probe x"})
if not USE_PRETRAINED:
    x_means, x_spread = control["probe x"].means.tolist(), float(control["probe x"].stds.max())
    rises = all(b > a for a, b in zip(x_means, x_means[1:]))
    # (printed coarsely: the fitted direction, and so the second decimal, varies with float rounding)
    print(f"mean x from t = {T_VALUES[0]:+.0f} to t = {T_VALUES[-1]:+.0f}: about {x_means[0]:.1f} → {x_means[-1]:.1f}")
""")
nb.finding("""
{"" if USE_PRETRAINED else f"Mean x goes from about **{x_means[0]:.1f}** to **{x_means[-1]:.1f}** and {'rises at every step' if rises else 'does not rise at every step'}; at one t the 40 objects' x has a standard deviation of at most **{x_spread:.2f}**. "}
Over the t range the other readings move by
{", ".join(f"**{m:+.1f}** stds ({n})" for n, m in side.items())}:
{"each under half a std: u sets the position and leaves the rest nearly alone." if max(map(abs, side.values())) < 0.5 else "u does not only set the position; the largest of these is " + max(side, key=lambda n: abs(side[n])) + "."}
""")

# --------------------------------------------------------------------------------------------------- exercises
md("""
## Exercises
""")
nb.exercise(
    "a brightness direction with GANalyze",
    """Train GANalyze for `Brightness()` with the same budget and validate it: does the $95\\%$ CI of the slope lie
above zero? Which other property moves most along your θ?""",
    """`ganalyze(G, Brightness(), steps=30, ...)`, `result.validation(...).fit()`; then `result.sweep` with the other
assessors and `moves_in_stds`.""",
    """
bright = Brightness()
result_b = ganalyze(G, bright, steps=30, batch_size=8, lr=0.3, alpha_range=ALPHA_RANGE, seed=3)
fit_b = result_b.validation(G, bright, alphas=ALPHAS, n=60, seed=1).fit()
print(f"brightness slope {fit_b.slope:.2f}, 95% CI [{fit_b.ci_low:.1f}, {fit_b.ci_high:.1f}], above zero: {fit_b.ci_low > 0}")
rest = {name: a for name, a in properties.items() if name != "brightness"}
moved_b = moves_in_stds(result_b.sweep(G, rest, alphas=ALPHAS, n=60, seed=1))
print("moves most besides brightness:", max(moved_b, key=lambda n: abs(moved_b[n])))
""")
nb.exercise(
    "a continuous factor for vertical position",
    """Estimate the factor of `shift_y` (content moves down) with the same budget. Does setting its coordinate move
`probe y` and not `probe x`? Is its u orthogonal to the u of `shift_x`?""",
    """`estimate_trajectories(G, "shift_y", ...)`, `fit_factor`, then `sweep_direction` with `ProbeFactor("y")` and
`ProbeFactor("x")`. Both u are unit vectors: their dot product is the cosine between them.""",
    """
trajectories_y = estimate_trajectories(G, "shift_y", t_max=0.2, lr=0.05, sigma=3.0, seed=1, **SMALL)
factor_y = fit_factor(trajectories_y, seed=0)
print(f"|cos(u_x, u_y)| = {abs(float(factor.u @ factor_y.u)):.1f}")
if not USE_PRETRAINED:
    check = sweep_direction(G, factor_y.direction, {"probe y": ProbeFactor("y"), "probe x": ProbeFactor("x")},
                            T_VALUES, n=40, seed=7)
    for name, s in check.items():
        print(f"{name}: mean {s.means[0]:.1f} at t = {T_VALUES[0]:+.0f} → {s.means[-1]:.1f} at t = {T_VALUES[-1]:+.0f}")
""")

nb.references("goetschalckx2019", "andonian2021", "plumerault2020", "plumerault2023", "brock2019")
nb.write()
