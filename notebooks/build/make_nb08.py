"""Build notebooks/08_walks_and_mixing.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb08.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/08_walks_and_mixing.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("08_walks_and_mixing")
md, code = nb.md, nb.code

md(f"""
{nb.badge}

# 08 · Walks and mixing: three explorers of a generator's latent space

A generator maps a latent vector (and, if it is class-conditional, a class) to an image. How that space is
organised decides what we can do with it: if nearby latents give similar images, we can **walk**; if the prior's
tails hold the odd samples, we can **truncate**; if classes enter through an embedding, we can **mix** them.
Andonian (2021, ch. 2) shows all three on BigGAN (Brock et al., 2019). This notebook does the same with three explorers
from `latentlab.widgets`:

| explorer | what moves | what you see |
|---|---|---|
| `LatentWalk` | position along a lerp or slerp path between two seeds | the image morphing; play it, save a GIF or MP4 |
| `TruncationExplorer` | the truncation threshold ψ over a fixed grid of seeds | the grid, plus measured fidelity and variety |
| `ClassMixer` | the weight t between two classes, latent fixed | one class turning into another |

Each explorer is a **state object** (plain Python with traitlets) plus an **ipywidgets view** built from it. The
sliders need a live kernel; everything they do is also available from code through `explorer.state`, which is
what the printed figures below use, so the notebook reads well even where widgets do not render.
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to use BigGAN-deep 128 (a 211 MB download into the cache)
# instead of the embedded shapes-biggan. With False nothing is downloaded and everything runs on a CPU.
USE_PRETRAINED = False
""")
code("""
import tempfile
from pathlib import Path

import torch
from IPython.display import Markdown, display

from latentlab import load_generator, show_grid as show
from latentlab.widgets import ClassMixer, LatentWalk, TruncationExplorer

torch.set_num_threads(2)
if USE_PRETRAINED:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    G = load_generator("biggan-deep-128", device=device)
    WALK_CLASS, MIX_FROM, MIX_TO = "volcano", "tabby cat", "tiger"
else:
    G = load_generator("shapes-biggan")   # embedded, 64×64, five shape classes
    WALK_CLASS, MIX_FROM, MIX_TO = "heart", "circle", "square"


print(f"{len(G.class_names)} classes, latent dimension {G.latent_dim}, {G.resolution}×{G.resolution} pixels")
""")
md("""
## 1. Latent walk: lerp or slerp between two seeds
`LatentWalk(G, 3, 8, classes=…)` joins the latents of seeds 3 and 8. Drag **position** (or press play) to move along
the path; **method** switches between linear (`lerp`) and spherical (`slerp`) interpolation; **steps** sets how many
frames the path has; **save GIF / save MP4** writes the animation (MP4 needs ffmpeg, e.g. `pip install imageio-ffmpeg`).

While the slider moves, frames are sent as JPEG and only the latest position is rendered; once it rests, a PNG
replaces the JPEG. Errors raised while rendering appear under the widget instead of being lost.
""")
code("""
walk = LatentWalk(G, 3, 8, classes=WALK_CLASS, steps=12)
display(walk)
""")
md("""
Why slerp (White, 2016)? A latent drawn from N(0, I) in d dimensions almost always has a length close to √d, and two
such latents are almost orthogonal. The straight line between them therefore passes through shorter vectors — at the
middle about √d/√2 — which the generator rarely saw in training. Slerp follows the arc between the two instead, so
every frame's length stays between the lengths of its two ends:
""")
code("""
d = G.latent_dim
path_norms = {}
for method in ["lerp", "slerp"]:
    walk.state.method = method
    norms = walk.state.latents().norm(dim=1) / d ** 0.5
    path_norms[method] = norms
    print(f"{method:5s}  |z|/sqrt(d) along the path:", " ".join(f"{v:.2f}" for v in norms.tolist()))
ends = sorted([float(path_norms["slerp"][0]), float(path_norms["slerp"][-1])])
""")
nb.finding("""
The two end latents have lengths **{ends[0]:.2f}** and **{ends[1]:.2f}** × √d. Along the straight line the length
dips to **{path_norms["lerp"].min():.2f}** × √d, {"below both ends" if path_norms["lerp"].min() < ends[0] else "not below the shorter end"};
along the arc it stays between **{path_norms["slerp"].min():.2f}** and **{path_norms["slerp"].max():.2f}** × √d.
""")
code("""
frames = walk.state.frames()   # slerp, all 12 frames in one batched pass
show(frames, nrow=6, labels=[f"frame {i}" for i in range(len(frames))],
     title=f"slerp from seed 3 (frame 0) to seed 8 (frame 11), class {WALK_CLASS}")
out = Path(tempfile.mkdtemp())
gif = walk.state.export(out / "walk.gif", fps=8, bounce=True)
from PIL import Image
print(gif.name, "has", Image.open(gif).n_frames, "frames (12 forward, 10 back)")
""")
md("""
The view only reads the state, so code can drive it as a slider would: setting `walk.state.position` renders that
frame into the widget (`flush()` skips the throttle's wait).
""")
code("""
walk.state.position = 6
walk.flush()
print(walk)
print("shown:", walk.image.format, "image of the frame at position", walk.state.position)
""")
md("""
## 2. The truncation trick, measured
BigGAN samples z from a normal distribution **truncated** at ψ: each entry with |z| > ψ is redrawn. The explorer keeps
its seeds while ψ moves, so every cell shows the *same* latent re-truncated: entries already inside ±ψ stay, the others
are redrawn inside. Small ψ: typical, clean images, all alike. Large ψ: variety, and more failures.

Beside the grid the explorer measures both sides of the trade on 96 samples per ψ (cached, so returning to a ψ is
instant). For Shapes-world generators it uses the embedded `shapes-probe`:
* **fidelity** — *class consistency*, how often the probe reads the class that was asked for;
* **variety** — the spread (standard deviation) of the probe-read x, y and scale, and the mean pixel distance between
  samples; the *real* column gives the same numbers for real renders.

For other generators (e.g. BigGAN-deep) it reports the pixel diversity, or any readout you pass as `readout=`.
""")
code("""
trunc = TruncationExplorer(G, psi=0.5, n=16, nrow=8, readout_n=96)
display(trunc)
""")
code("""
PSIS = [0.25, 0.5, 1.0, 1.5, 2.0]
curve = trunc.measure_curve(PSIS)
keys = list(curve[0][1])
print("  psi  " + "  ".join(f"{k:>17s}" for k in keys))
for psi, values in curve:
    print(f"{psi:5.2f}  " + "  ".join(f"{values[k]:17.2f}" for k in keys))
reference = getattr(trunc.state.readout_fn, "reference", {})
if reference:
    print(" real  " + "  ".join(f"{reference[k]:17.2f}" for k in keys))
""")
code("""
table = {psi: values for psi, values in curve if psi in PSIS}
if "class consistency" in keys:   # the Shapes-world readout
    consistency = [table[psi]["class consistency"] for psi in PSIS]
    spreads = {k: [table[psi][k] for psi in PSIS] for k in keys if k != "class consistency"}
    growing = [k for k, v in spreads.items() if v[-1] > v[0]]
    settled = [k for k in spreads if reference and all(abs(table[psi][k] - reference[k]) <= 0.01 for psi in PSIS if psi >= 1)]
    worst = PSIS[consistency.index(min(consistency))]
    truncation_text = (
        f"As ψ grows from {PSIS[0]} to {PSIS[-1]}, {len(growing)} of the {len(spreads)} variety measures grow: the x spread "
        f"goes from **{spreads['x spread'][0]:.2f}** to **{spreads['x spread'][-1]:.2f}** and the pixel diversity from "
        f"**{spreads['pixel diversity'][0]:.2f}** to **{spreads['pixel diversity'][-1]:.2f}** — truncation buys typicality by "
        f"giving up variety. "
        + (f"From ψ = 1 on, {len(settled)} of the {len(spreads)} are within 0.01 of the real renders' values: `shapes-biggan` "
           f"reads each chunk of its latent by direction (notebook 01), so truncating at ψ ≥ 1 costs almost nothing. "
           if settled else "")
        + f"Class consistency runs from **{min(consistency):.2f}** (at ψ = {worst}) to **{max(consistency):.2f}**: "
        + ("`shapes-biggan` draws the class it is asked for almost every time at any ψ, so here truncation has little "
           "fidelity to buy and mostly variety to lose." if min(consistency) > 0.9 else
           "at some ψ `shapes-biggan` draws the wrong class, so truncation trades fidelity too."))
else:
    truncation_text = "Read the table from top to bottom: the pixel diversity falls as ψ shrinks."
""")
nb.finding("""
{truncation_text} On BigGAN-deep the same slider trades both, as in the BigGAN paper (Brock et al., 2019).
""")
code("""
SHOWN = (0.25, 1.0, 2.0)
show(torch.cat([trunc.state.grid(psi)[:8] for psi in SHOWN]), nrow=8, row_labels=[f"ψ = {psi}" for psi in SHOWN],
     col_labels=[f"seed {i}" for i in range(8)], title="the same 8 seeds at three truncations")
""")
md("""
## 3. Class mixing with the latent fixed
A class-conditional generator reads its class through an embedding of a class vector. Feeding a *soft* vector
`(1 − t)·onehot(A) + t·onehot(B)` interpolates that embedding, so the picture morphs from class A into class B while the
latent — which carries colour, position and size — stays put (Andonian, 2021, Fig. 2-7). `ClassMixer` shows the current t for
a few fixed latents on the left and the whole interpolation on the right, one latent per row. It works for any
conditional generator; an unconditional one raises a `ValueError`.
""")
code("""
mixer = ClassMixer(G, MIX_FROM, MIX_TO, seed=3, rows=4, steps=8)
display(mixer)
""")
code("""
show(mixer.state.strip(), nrow=mixer.state.steps, col_labels=[f"t = {t:.2f}" for t in torch.linspace(0, 1, mixer.state.steps).tolist()],
     row_labels=[f"latent {i}" for i in range(mixer.state.rows)], title=f"{MIX_FROM} (t = 0) to {MIX_TO} (t = 1), one fixed latent per row")
""")
md("""
At t = 0 and t = 1 the mixer gives exactly the pure classes. In between, we can ask the probe how much of each class it
sees, averaged over 32 fixed latents (Shapes world only), and for how many of the 32 it reads class B — at t from 0
to 1 in steps of $0.05$:
""")
code("""
if not USE_PRETRAINED:
    from latentlab import load_probe
    from latentlab.widgets import MixState

    probe = load_probe()
    many = MixState(G, class_a=MIX_FROM, class_b=MIX_TO, rows=32, seed=3)
    a, b = G.class_index(MIX_FROM), G.class_index(MIX_TO)
    ts = [round(0.05 * i, 2) for i in range(21)]
    shares, mean_probs = {}, {}
    print(f"   t  p({MIX_FROM}) p({MIX_TO})  p(other)  read as {MIX_TO}")
    with torch.no_grad():
        for t in ts:
            probs = torch.softmax(probe(many.images(t), with_mask=False).logits, dim=1)
            mean_probs[t] = p = probs.mean(dim=0)
            as_b = int((probs.argmax(dim=1) == b).sum())
            shares[t] = (float(p[a]), float(p[b]), float(1 - p[a] - p[b]), as_b)
            print(f"{t:5.2f}  {p[a]:9.2f} {p[b]:9.2f} {1 - p[a] - p[b]:9.2f}  {as_b:5d} of {len(probs)}")
""")
code("""
if not USE_PRETRAINED:
    steps = list(zip(ts, ts[1:]))
    jump_from, jump_to = max(steps, key=lambda s: abs(shares[s[1]][1] - shares[s[0]][1]))
    first_b = next((t for t in ts if shares[t][1] > shares[t][0]), None)
    flat_until = max((t for t in ts if t <= jump_from and shares[t][1] < 0.05), default=None)
    other_peak = max(ts, key=lambda t: shares[t][2])
    others = [i for i in range(len(G.class_names)) if i not in (a, b)]
    other_name = G.class_names[max(others, key=lambda i: float(mean_probs[other_peak][i]))]
    jump = shares[jump_to][1] - shares[jump_from][1]
    mixing = ((f"The shares do not move steadily. p({MIX_TO}) stays below 0.05 up to t = {flat_until}, and then the probe's verdict flips: "
               if jump > 0.3 and flat_until is not None else f"The shares move fairly steadily; the largest step is ")
              + f"between t = {jump_from} and t = {jump_to} p({MIX_TO}) {'jumps' if jump > 0.3 else 'moves'} from **{shares[jump_from][1]:.2f}** to "
              f"**{shares[jump_to][1]:.2f}**, and the latents read as {MIX_TO} go from {shares[jump_from][3]} to {shares[jump_to][3]} of 32. "
              f"{MIX_TO.capitalize()} first outweighs {MIX_FROM} at t = {first_b}. "
              + (f"On the way, other classes take up to **{shares[other_peak][2]:.2f}** of the probability (at t = {other_peak}, "
                 f"mostly {other_name}): the in-between shapes — in the strip above, {MIX_FROM}s growing corners — are neither "
                 f"class to the probe. " if shares[other_peak][2] > 0.2 else "")
              + f"`shapes-biggan` follows its class input strongly (class consistency **{min(consistency):.2f}**–"
              f"**{max(consistency):.2f}** in the truncation table) and was trained on pure classes only: it keeps each class over "
              f"most of the range of t and morphs between them over a narrow band.")
else:
    mixing = "With BigGAN-deep the probe cannot read the classes; look at the strip instead."
""")
nb.finding("""
{mixing}
""")
md("""
## Where next
* Notebook 01 shows the same ideas as static figures; notebook 04 searches the latent space with an evolutionary
  algorithm, and `latentlab.widgets.EvolutionGallery` watches such a search live.
* In Colab, latentlab enables the custom widget manager itself when an explorer is created.
""")

md("""
## Exercises
""")
nb.exercise(
    "how short is the middle of a straight line?",
    """Draw 1,000 pairs of latents from the prior (`G.sample_latents`), and measure the length of the lerp midpoint and of
the slerp midpoint in units of $\\sqrt{d}$. Compare the lerp midpoint with the prediction $1/\\sqrt{2}$ for two
orthogonal vectors of length $\\sqrt{d}$.""",
    """`latentlab.latents.lerp(a, b, steps)` and `slerp(a, b, steps)` take one pair `[d]` and return the path
`[steps, d]`; with `steps=3` the middle row is the midpoint. Or compute $(a + b)/2$ directly for the whole batch.""",
    """
from latentlab.latents import slerp

a, b = G.sample_latents(1000, seed=100), G.sample_latents(1000, seed=101)
mid_lerp = ((a + b) / 2).norm(dim=1) / d ** 0.5
mid_slerp = torch.stack([slerp(a[i], b[i], 3)[1] for i in range(200)]).norm(dim=1) / d ** 0.5
print(f"ends:           {(a.norm(dim=1) / d ** 0.5).mean():.3f} (mean |z| / sqrt(d))")
print(f"lerp midpoint:  {mid_lerp.mean():.3f} ± {mid_lerp.std():.3f}   prediction {2 ** -0.5:.3f}")
print(f"slerp midpoint: {mid_slerp.mean():.3f} ± {mid_slerp.std():.3f}")
""")
nb.exercise(
    "where does another pair switch?",
    """Find the t at which the probe's mean p(B) first exceeds p(A) for another pair of classes, e.g. triangle → star, by
bisection between 0 and 1 (eight steps are enough for two decimals). Is the switch point the same as for
circle → square? Is it always near the middle?""",
    """Build `MixState(G, class_a=..., class_b=..., rows=32, seed=3)` and read `probe(state.images(t), with_mask=False).logits`.
Keep an interval `[lo, hi]` with p(B) < p(A) at `lo` and p(B) > p(A) at `hi`, and halve it.""",
    """
if not USE_PRETRAINED:
    def switch_point(class_a, class_b, bisections=8):
        state = MixState(G, class_a=class_a, class_b=class_b, rows=32, seed=3)
        ia, ib = G.class_index(class_a), G.class_index(class_b)
        lo, hi = 0.0, 1.0
        with torch.no_grad():
            for _ in range(bisections):
                t = (lo + hi) / 2
                p = torch.softmax(probe(state.images(t), with_mask=False).logits, dim=1).mean(dim=0)
                lo, hi = (t, hi) if p[ib] <= p[ia] else (lo, t)
        return (lo + hi) / 2

    for pair in [(MIX_FROM, MIX_TO), ("triangle", "star"), ("star", "triangle"), ("heart", "circle")]:
        print(f"{pair[0]:>8s} -> {pair[1]:8s} switches at t = {switch_point(*pair):.2f}")
""")
nb.exercise(
    "does lerp's short middle show in the images?",
    """The lerp midpoint is short, but does `shapes-biggan` draw anything different there? For 64 pairs of latents of one
class, render the lerp and the slerp midpoints and compare what the probe reads: mean object scale, and how often the
class is right. Explain the result with what the truncation table showed about short latents.""",
    """`G(z, G.classes(name, n))` renders latents `z` for one class; `load_probe()(images, with_mask=False)` returns `scale`
and `logits`.""",
    """
if not USE_PRETRAINED:
    from latentlab.latents import lerp

    a, b = G.sample_latents(64, seed=200), G.sample_latents(64, seed=201)
    mids = {"lerp": torch.stack([lerp(a[i], b[i], 3)[1] for i in range(64)]),
            "slerp": torch.stack([slerp(a[i], b[i], 3)[1] for i in range(64)])}
    with torch.no_grad():
        for name, z in mids.items():
            out = probe(G(z, G.classes(WALK_CLASS, 64)), with_mask=False)
            right = (out.logits.argmax(dim=1) == G.class_index(WALK_CLASS)).float().mean()
            print(f"{name:5s} midpoints: |z|/sqrt(d) {z.norm(dim=1).mean() / d ** 0.5:.2f}, "
                  f"probe scale {out.scale.mean():.3f} ± {out.scale.std():.3f}, class right {right:.2f}")
""")
nb.references("andonian2021", "brock2019", "white2016")

nb.write()
