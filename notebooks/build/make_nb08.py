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
Seed 000 §2.4 shows all three on BigGAN. This notebook does the same with three explorers from
`latentlab.widgets`:

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
from IPython.display import display

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
Why slerp? A latent drawn from N(0, I) in d dimensions almost always has a length close to √d. The straight line between
two such latents passes through shorter vectors — at the middle about √d/√2 — which the generator rarely saw in
training. Slerp follows the sphere instead, so every frame has a typical length:
""")
code("""
d = G.latent_dim
for method in ["lerp", "slerp"]:
    walk.state.method = method
    norms = walk.state.latents().norm(dim=1) / d ** 0.5
    print(f"{method:5s}  |z|/sqrt(d) along the path:", " ".join(f"{v:.2f}" for v in norms.tolist()))
""")
code("""
frames = walk.state.frames()   # slerp, all 12 frames in one batched pass
show(frames, nrow=12, scale=0.9, title=f"slerp from seed 3 to seed 8, class {WALK_CLASS}")
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
curve = trunc.measure_curve([0.25, 0.5, 1.0, 1.5, 2.0])
keys = list(curve[0][1])
print("  psi  " + "  ".join(f"{k:>17s}" for k in keys))
for psi, values in curve:
    print(f"{psi:5.2f}  " + "  ".join(f"{values[k]:17.2f}" for k in keys))
reference = getattr(trunc.state.readout_fn, "reference", {})
if reference:
    print(" real  " + "  ".join(f"{reference[k]:17.2f}" for k in keys))
""")
md("""
Read the table from top to bottom: as ψ grows the spreads and the pixel diversity grow towards those of real renders —
truncation buys typicality by giving up variety. From ψ = 1 on they equal the real ones: `shapes-biggan` reads each
chunk of its latent by direction (notebook 01). Its class consistency stays near 1 at every ψ (`python -m
benchmarks.generators` measures it on 10,000 samples): it draws every class cleanly anyway, so here truncation has no
fidelity to buy, only variety to lose. On BigGAN-deep the same slider trades both, as in the BigGAN paper.
""")
code("""
show(torch.cat([trunc.state.grid(psi)[:8] for psi in (0.25, 1.0, 2.0)]), nrow=8, scale=0.9,
     title="the same 8 seeds at psi = 0.25, 1.0, 2.0 (top to bottom)")
""")
md("""
## 3. Class mixing with the latent fixed
A class-conditional generator reads its class through an embedding of a class vector. Feeding a *soft* vector
`(1 − t)·onehot(A) + t·onehot(B)` interpolates that embedding, so the picture morphs from class A into class B while the
latent — which carries colour, position and size — stays put (seed 000 Fig. 2-7). `ClassMixer` shows the current t for
a few fixed latents on the left and the whole interpolation on the right, one latent per row. It works for any
conditional generator; an unconditional one raises a `ValueError`.
""")
code("""
mixer = ClassMixer(G, MIX_FROM, MIX_TO, seed=3, rows=4, steps=8)
display(mixer)
""")
code("""
show(mixer.state.strip(), nrow=8, scale=0.9, title=f"{MIX_FROM} (left) to {MIX_TO} (right), one fixed latent per row")
""")
md("""
At t = 0 and t = 1 the mixer gives exactly the pure classes. In between, we can ask the probe how much of each class it
sees, averaged over 32 fixed latents (Shapes world only). `shapes-biggan` follows its class input only weakly — the
probe's class consistency is about 0.25 — so the shares move less than they would for a strong generator, but they
move steadily with t:
""")
code("""
if not USE_PRETRAINED:
    from latentlab import load_probe
    from latentlab.widgets import MixState

    probe = load_probe()
    many = MixState(G, class_a=MIX_FROM, class_b=MIX_TO, rows=32, seed=3)
    a, b = G.class_index(MIX_FROM), G.class_index(MIX_TO)
    print(f"   t   p({MIX_FROM})  p({MIX_TO})")
    with torch.no_grad():
        for t in (0.0, 0.25, 0.5, 0.75, 1.0):
            p = torch.softmax(probe(many.images(t), with_mask=False).logits, dim=1).mean(dim=0)
            print(f"{t:5.2f}  {p[a]:9.2f}  {p[b]:9.2f}")
""")
md("""
## Where next
* Notebook 01 shows the same ideas as static figures; notebook 04 searches the latent space with an evolutionary
  algorithm, and `latentlab.widgets.EvolutionGallery` watches such a search live.
* In Colab, latentlab enables the custom widget manager itself when an explorer is created.
""")

nb.write()
