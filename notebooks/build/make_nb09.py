"""Build notebooks/09_styles_and_units.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb09.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/09_styles_and_units.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("09_styles_and_units")
md, code = nb.md, nb.code

md(f"""
{nb.badge}

# 09 · Styles and units: W space, style mixing, and the units that draw the object

StyleGAN (seed 001 ch. 2) does not feed its latent z to the image layers. A **mapping network** turns z into a
style vector **w**, and every layer of the **synthesis network** reads w through its own affine map, which scales
the layer's input channels (a *modulated convolution*). Three latent spaces follow:

| space | shape | what it is |
|---|---|---|
| **Z** | `[N, latent_dim]` | the Gaussian prior |
| **W** | `[N, w_dim]` | one style for every layer; truncation pulls it toward the average style w̄ |
| **W+** | `[N, num_ws, w_dim]` | a style per layer; mixing two images' W+ swaps layer ranges |

Then we open a generator up: **network dissection** (seed 004, GAN dissection) ranks a layer's units (channels)
by how well they match a concept the probe can measure, such as "where the object is", and switches them off
to see what they cause.

Everything below runs on a CPU with the embedded `shapes-stylegan` and `shapes-biggan`.
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to load NVIDIA's StyleGAN2 FFHQ generator (a download into the
# cache, read by latentlab's safe loader, which never runs code from the pickle). With False nothing is downloaded.
USE_PRETRAINED = False
""")
code("""
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from latentlab import load_generator, show_grid as show
from latentlab.widgets import StyleMixer

torch.set_num_threads(2)
if USE_PRETRAINED:
    from latentlab.zoo.stylegan2_checkpoints import load_stylegan2
    device = "cuda" if torch.cuda.is_available() else "cpu"
    G = load_stylegan2("stylegan2-ffhq-1024", device=device)
else:
    G = load_generator("shapes-stylegan")   # embedded, 64×64, five shape classes


print(f"z: {G.latent_dim} · w: {G.w_dim} · W+: {G.num_ws} styles at resolutions {G.layer_resolutions}")
""")
md("""
## 1. From Z to W
`G.to_w(z, y)` runs the mapping network; `G.from_w(w)` runs the synthesis network. Going through W gives exactly
the image `G(z, y)` gives — the round trip below prints the largest pixel difference.
""")
code("""
z = G.sample_latents(8, seed=0)
y = G.sample_classes(8, seed=0) if G.conditional else None
with torch.no_grad():
    direct = G(z, y)
    w = G.to_w(z, y)
    via_w = G.from_w(w)
print("w:", tuple(w.shape), "· G(z) equals G.from_w(G.to_w(z)) up to float rounding:", bool((direct - via_w).abs().max() < 1e-4))
show(direct, title="eight samples")
""")
md("""
## 2. Truncation toward the average style
StyleGAN truncates in W: w ← w̄ + ψ (w − w̄). At ψ = 0 every latent gives the same "average" image; as ψ grows,
the images spread out. Each row below is one latent, each column one ψ.
""")
code("""
psis = [0.0, 0.25, 0.5, 0.75, 1.0]
z4, y4 = z[:4], (y[:4] if y is not None else None)
with torch.no_grad():
    rows = [G.from_w(G.to_w(z4, y4, truncation=max(psi, 1e-6))) for psi in psis]
show(torch.stack(rows, dim=1).flatten(0, 1), nrow=len(psis), title="ψ = " + ", ".join(map(str, psis)))
spread = [round(float((G.to_w(z, y, truncation=max(p, 1e-6)) - G.w_avg).norm(dim=1).mean()), 2) for p in psis]
print("mean distance of w from w̄ at each ψ:", spread)
""")
md("""
## 3. Style mixing
`StyleMixer` lays out the classic grid: image A down the left, image B across the top, and in each cell A's styles
with one **layer range** taken from B — **coarse** (the 4–8 px layers: where and how large the object is, and here its shape),
**middle** (16–32 px) or **fine** (64 px: colour and texture). The explorer's buttons switch the range; below, the
same grids are drawn from code with `mixer.state`.
""")
code("""
mixer = StyleMixer(G, layers="coarse", seed_a=3, seed_b=11, rows=3, columns=4)
display(mixer)
""", ignore_output=True)
code("""
for layers in ("coarse", "middle", "fine"):
    mixer.state.layers = layers
    show(mixer.state.grid(), nrow=mixer.state.columns + 1, scale=0.8, title=f"{layers} layers from B")
a, b = mixer.state.styles("a"), mixer.state.styles("b")
with torch.no_grad():
    base = G.from_wplus(a.repeat_interleave(4, 0))
    for layers in ("coarse", "middle", "fine"):
        mixed = G.from_wplus(G.mix(a.repeat_interleave(4, 0), b.repeat(3, 1, 1), layers))
        print(f"{layers:>6}: mean squared change from A = {(mixed - base).square().mean().item():.4f}")
""")
md("""
## 4. Searching W instead of Z
Evolution (notebook 04) can search W or W+ directly: `evolve(..., space="w")`. The search runs in standardised
style coordinates — 0 is the average style of the class, unit steps are typical deviations — so the optimiser's
defaults carry over. Here CMA-ES makes a star as red as it can, scored by a pixel measure.
""")
code("""
from latentlab.methods import evolve

def redness(images):
    return images[:, 0].mean(dim=(1, 2)) - images[:, 1:].mean(dim=(1, 2, 3))

if not USE_PRETRAINED:
    result = evolve("red", G, redness, optimizer="cma", generations=8, population=12, space="w", classes="star",
                    progress=False)
    print("best redness per generation:", [round(h["best_so_far"], 3) for h in result.run.history])
    show(result.images[:6], nrow=6, title="final population in W, best first")
""")
md("""
## 5. Network dissection: which units draw the object?
GAN dissection (seed 004) looks inside one layer. Each **unit** (channel) of the feature map at `block4` (the last
block: 16 units at 64×64) of
`shapes-biggan` is thresholded at its own top-10 % activation level and compared with the probe's object mask: the
intersection over union (IoU) says how well the unit "is" the object. `rank_units` sorts the units by it.

One twist: `shapes-biggan` draws its object upright, centred and at one size, and a spatial transformer then moves,
turns and scales it into place. Its object units fire where the object is *drawn*, not where it lands, so
`rank_units` also scores each unit with its map placed the way the object was (`ranking.is_placed(unit)` says which
frame matched); the units explorer's heatmap does the same.
""")
code("""
from latentlab.methods import causal_effect, causal_sweep, intervene, rank_units, record_units
from latentlab.zoo import load_probe
from latentlab.widgets import UnitsExplorer

B, probe = load_generator("shapes-biggan"), load_probe("shapes-probe")
recording = record_units(B, "block4", n=96, seed=0)
ranking = rank_units(recording, "object", probe=probe)
print("top units (unit, IoU):", ranking.table(5), "· mean IoU over all units:", round(float(ranking.mean_score), 3))
ranking.plot(k=16); plt.show()
""")
md("""
Correlation is not cause. To test the units we **intervene**: switch the top-k object units off (set to zero) on
new images and let the probe measure how much object is left, against switching off k **random** units of the same
layer. If the ranked units cause the object, the object should shrink much more for them than for random ones.
""")
code("""
held_out = record_units(B, "block4", n=64, seed=1)
effect = causal_effect(B, held_out, ranking, k=4, probe=probe)
print(f"object pixel fraction: before {effect['before']:.3f} · top-4 off {effect['after']:.3f} · 4 random off {effect['control']:.3f}")
sweep = causal_sweep(B, held_out, ranking, ks=[1, 2, 4, 8], probe=probe)
sweep.plot(); plt.show()
z, y = held_out.latents[:6], held_out.classes[:6]
with torch.no_grad():
    show(torch.cat([B(z, y), intervene(B, z, y, "block4", ranking.top(4), mode="ablate")]), nrow=6,
         title="top: generated · bottom: the top-4 object units switched off")
""")
md("""
The top units do cause the object, but they share the work: with four of them off, part of the object stays where it
was, and a faint upright copy shows at the centre of the image. The same units feed the background layer too, and
without them it shows a ghost of the object as the convolutions draw it, before the spatial transformer places it.
The sweep shows eight units removing the object entirely; `python -m benchmarks.dissection` measures it on 256 images.

The style generator divides the work differently. Its last block (`b64`, 16 units at 64×64) draws the object with two
units: either one alone can be switched off without losing the object, both together remove it (a faint tint of its
colour stays over the frame it was placed in), and random units of the same layer leave it alone.
""")
code("""
if not USE_PRETRAINED:
    style_ranking = rank_units(record_units(G, "b64", n=64, seed=0), "object", probe=probe)
    style_held_out = record_units(G, "b64", n=64, seed=1)
    print("top units (unit, IoU):", style_ranking.table(3))
    for k in (1, 2):
        e = causal_effect(G, style_held_out, style_ranking, k=k, probe=probe)
        print(f"k = {k}: object pixel fraction before {e['before']:.3f} · top-{k} off {e['after']:.3f} · {k} random off {e['control']:.3f}")
    z, y = style_held_out.latents[:6], style_held_out.classes[:6]
    with torch.no_grad():
        show(torch.cat([G(z, y), intervene(G, z, y, "b64", style_ranking.top(2), mode="ablate")]), nrow=6,
             title="shapes-stylegan · top: generated · bottom: its two object units switched off")
""")
md("""
## 6. The units explorer
`UnitsExplorer` puts it together: pick a concept (the object, its size, the background's brightness, a colour), how
many of its best units to use (or pick units yourself), **ablate** or **insert** (set the units to a high activation
inside a region, to paint the concept there), and see the image before and after with the units' activation map.
""")
code("""
explorer = UnitsExplorer(B, "block4", "object", probe=probe, k=4, n=64)
display(explorer)
""", ignore_output=True)
md("""
**What to take away.** W is where a style-based generator's layers read their instructions; mixing W+ layer ranges
separates what an image's coarse layers decide (the object's place and size) from what the fine ones decide
(colour and texture). Units of a convolutional generator can be read like that too: a handful of channels carry
"object here", and switching them off removes it. The embedded models are small, so read these as the methods at work,
not as findings about large GANs.
""")
nb.write()
