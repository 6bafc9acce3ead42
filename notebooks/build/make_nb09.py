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

StyleGAN (Karras et al., 2019; 2020; see also Komorowski and Domagała, 2021, ch. 2) does not feed its latent z to
the image layers. A **mapping network** turns z into a style vector **w**, and every layer of the **synthesis
network** reads w through its own affine map, which scales the layer's input channels (a *modulated convolution*;
the outputs of these affine maps are the "StyleSpace" of Wu et al., 2021). Three latent spaces follow:

| space | shape | what it is |
|---|---|---|
| **Z** | `[N, latent_dim]` | the Gaussian prior |
| **W** | `[N, w_dim]` | one style for every layer; truncation pulls it toward the average style w̄ |
| **W+** | `[N, num_ws, w_dim]` | a style per layer (Abdal et al., 2019); mixing two images' W+ swaps layer ranges |

Then we open a generator up: **network dissection** (Bau et al., 2020) ranks a layer's units (channels) by how well
they match a concept the probe can measure, such as "where the object is", and switches them off to see what they
cause. A unit that *matches* a concept need not *cause* it; the interventions tell the two apart.

Everything below runs on a CPU with the embedded `shapes-stylegan` and `shapes-biggan`, in a minute or so.
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
from IPython.display import Markdown, display

from latentlab import load_generator, show_grid as show
from latentlab.assessors.probe_reader import read_probe
from latentlab.data.colours import hue_distance
from latentlab.widgets import StyleMixer
from latentlab.zoo import load_probe

torch.set_num_threads(2)
probe = load_probe("shapes-probe")  # reads class, position, size, hue and the object mask off Shapes-world images
if USE_PRETRAINED:
    from latentlab.zoo.stylegan2_checkpoints import load_stylegan2
    device = "cuda" if torch.cuda.is_available() else "cpu"
    G = load_stylegan2("stylegan2-ffhq-1024", device=device)
    SCALE = 192 / G.resolution  # show each 1024 px face at 192 px
else:
    G = load_generator("shapes-stylegan")   # embedded, 64×64, five shape classes
    SCALE = 3                               # each 64 px image at 192 px

def names(y, n, generator=None):
    \"\"\"Labels for n samples of ``generator`` (default G): their class names, or sample numbers if it has none.\"\"\"
    generator = generator or G
    return [generator.class_names[int(c)] for c in y] if y is not None else [f"sample {i}" for i in range(n)]

print(f"z: {G.latent_dim} · w: {G.w_dim} · W+: {G.num_ws} styles at resolutions {G.layer_resolutions}")
""")
md("""
## 1. From Z to W
`G.to_w(z, y)` runs the mapping network; `G.from_w(w)` runs the synthesis network. Going through W gives exactly
the image `G(z, y)` gives — the round trip below checks the largest pixel difference.
""")
code("""
z = G.sample_latents(8, seed=0)
y = G.sample_classes(8, seed=0) if G.conditional else None
with torch.no_grad():
    direct = G(z, y)
    w = G.to_w(z, y)
    via_w = G.from_w(w)
print("w:", tuple(w.shape), "· G(z) equals G.from_w(G.to_w(z)) up to float rounding:", bool((direct - via_w).abs().max() < 1e-4))
show(direct, nrow=8, labels=names(y, 8), title="eight samples, G(z, y)", scale=SCALE)
""")
md("""
## 2. Truncation toward the average style
StyleGAN truncates in W: $w \\leftarrow \\bar w + \\psi (w - \\bar w)$. At $\\psi = 0$ every latent gets the
average style w̄; as ψ grows, the styles and their images spread out. Each row below is one latent, each column one ψ.
""")
code("""
psis = [0.0, 0.25, 0.5, 0.75, 1.0]
z4, y4 = z[:4], (y[:4] if y is not None else None)
with torch.no_grad():
    rows = [G.from_w(G.to_w(z4, y4, truncation=max(psi, 1e-6))) for psi in psis]  # ψ = 0 exactly is not accepted
    spread = [float((G.to_w(z, y, truncation=max(p, 1e-6)) - G.w_avg).norm(dim=1).mean()) for p in psis]
show(torch.stack(rows, dim=1).flatten(0, 1), nrow=len(psis), row_labels=names(y4, 4),
     col_labels=[f"ψ = {p:g}" for p in psis], title="truncation in W, one latent per row", scale=SCALE)
print("mean distance of w from w̄ at each ψ:", [round(s, 2) for s in spread])
same_at_zero = float((rows[0] - rows[0][:1]).abs().max())  # how much the ψ = 0 images differ from each other
""")
nb.finding("""
At ψ = 0 the four images differ by at most **{same_at_zero:.4f}** in any pixel: {"one and the same average image, whatever the latent (and here whatever the class)" if same_at_zero < 0.01 else "close to one average image"}. The distance of w from w̄ grows in proportion to ψ, from **{spread[1]:.2f}** at ψ = 0.25 to **{spread[-1]:.2f}** at ψ = 1, which is what the formula says; what the images do on the way is the generator's business.
""")
md("""
## 3. Style mixing
`StyleMixer` lays out the classic grid of Karras et al. (2019): image A down the left, image B across the top, and in
each cell A's styles with one **layer range** taken from B — **coarse**, **middle** or **fine** (on `shapes-stylegan`
the 4–8 px, 16–32 px and 64 px layers). On faces, the coarse styles set pose and face shape and the fine ones colour
and fine texture; below we look, and then let the probe measure what each range sets here. The explorer's buttons
switch the range; the same grids are drawn from code with `mixer.state`.
""")
code("""
mixer = StyleMixer(G, layers="coarse", seed_a=3, seed_b=11, rows=3, columns=4)
display(mixer)
""", ignore_output=True)
code("""
a, b = mixer.state.styles("a"), mixer.state.styles("b")
RANGES = ("coarse", "middle", "fine")
corner = [""]
for layers in RANGES:
    mixer.state.layers = layers
    show(mixer.state.grid(), nrow=mixer.state.columns + 1, scale=SCALE,
         col_labels=corner + [f"B{j + 1}" for j in range(mixer.state.columns)],
         row_labels=corner + [f"A{i + 1}" for i in range(mixer.state.rows)],
         title=f"A with B's {layers} styles (W+ indices {G.mix_layers(layers)})")
change = {}
with torch.no_grad():
    base = G.from_wplus(a.repeat_interleave(4, 0))
    for layers in RANGES:
        mixed = G.from_wplus(G.mix(a.repeat_interleave(4, 0), b.repeat(3, 1, 1), layers))
        change[layers] = (mixed - base).square().mean().item()
        print(f"{layers:>6}: mean squared change from A = {change[layers]:.4f}")
""")
md("""
What does each range take from B? The probe reads every cell and says, factor by factor, whether the cell is
closer to B's image or to A's: its class (counted over the cells where A and B differ in class), its place, its size
and its hue.
""")
code("""
def read_styles(ws):
    with torch.no_grad():
        return read_probe(G.from_wplus(ws), probe)

def taken_from_b(layers, a, b, ra=None, rb=None):
    \"\"\"Share of mixed cells (A's styles, ``layers`` from B) whose class / place / size / hue the probe reads as B's
    (``ra``, ``rb``: the probe's readings of A and B, read here if not given).\"\"\"
    ia, ib = torch.arange(len(a)).repeat_interleave(len(b)), torch.arange(len(b)).repeat(len(a))
    ra = read_styles(a) if ra is None else ra
    rb = read_styles(b) if rb is None else rb
    m = read_styles(G.mix(a[ia], b[ib], layers))
    differ = ra.shape[ia] != rb.shape[ib]
    to_b = lambda x, xa, xb: (x - xb).abs() < (x - xa).abs()
    closer = {
        "class": (m.shape == rb.shape[ib])[differ],
        "place": torch.hypot(m.x - rb.x[ib], m.y - rb.y[ib]) < torch.hypot(m.x - ra.x[ia], m.y - ra.y[ia]),
        "size": to_b(m.scale, ra.scale[ia], rb.scale[ib]),
        "hue": hue_distance(m.hue, rb.hue[ib]) < hue_distance(m.hue, ra.hue[ia]),
    }
    return {factor: float(v.float().mean()) for factor, v in closer.items()}

if not USE_PRETRAINED:  # the probe reads Shapes-world images only
    read_a, read_b = read_styles(a), read_styles(b)
    taken = {layers: taken_from_b(layers, a, b, read_a, read_b) for layers in RANGES}
    print(f"{'from B':>8} " + " ".join(f"{f:>6}" for f in taken["coarse"]))
    for layers, shares in taken.items():
        print(f"{layers:>8} " + " ".join(f"{v:>6.0%}" for v in shares.values()))
    def carriers(factor):  # the ranges that hand over most of a factor
        return " and ".join(l for l in RANGES if taken[l][factor] > 0.5) or "none"
    groups = {}
    for factor in ("class", "place", "size", "hue"):
        groups.setdefault(carriers(factor), []).append(factor)
    def listed(items):
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    sources = "; ".join(f"B's {listed(fs)} come{'s' if len(fs) == 1 else ''} with " +
                        ("no single range" if c == "none" else f"the {c} layers") for c, fs in groups.items())
    mixing = (f"On `shapes-stylegan` the **coarse** styles hand over B's class in **{taken['coarse']['class']:.0%}** "
              f"of the cells where A and B differ, B's place in **{taken['coarse']['place']:.0%}** and B's size in "
              f"**{taken['coarse']['size']:.0%}**, but B's hue in only **{taken['coarse']['hue']:.0%}**; the **fine** "
              f"styles hand over B's hue in **{taken['fine']['hue']:.0%}** and its class in "
              f"**{taken['fine']['class']:.0%}**. In short: {sources}.")
else:
    mixing = "On the FFHQ faces, read the grids: which range turns A's pose and face shape into B's, which only its colours?"
""")
nb.finding("""
{mixing} The **middle** layers change the picture {"least" if change["middle"] < min(change["coarse"], change["fine"]) else "not least"}
of the three (mean squared change **{change["middle"]:.4f}**, against **{change["coarse"]:.4f}** for coarse and
**{change["fine"]:.4f}** for fine): {"this small generator has left them almost nothing to decide" if change["middle"] < 0.1 * min(change["coarse"], change["fine"]) else "they carry a share of the work too"}.
""")
md("""
Part of this split is built into `shapes-stylegan`. Like `shapes-biggan` (section 5) it draws its object upright,
centred and at one size; a small placement head reads the **first** style to move, turn and scale it into place, and
a colour head reads the **last** style for the object's colour. Whatever else the coarse and fine layers learnt,
those two styles decide where the object goes and what colour it is; exercise 2 finds them by mixing one W+ index at
a time. A large StyleGAN has no such heads, and there the split is learnt.

## 4. Searching W instead of Z
Evolution (notebook 04) can search W or W+ directly: `evolve(..., space="w")`. The search runs in standardised
style coordinates — 0 is the average style of the class, unit steps are typical deviations — so the optimiser's
defaults carry over. Here CMA-ES (Hansen, 2016) starts from the star class and maximises a pixel measure of
**redness**: the red channel minus the mean of green and blue, averaged over the whole image.
""")
code("""
from latentlab.methods import evolve

def redness(images):
    return images[:, 0].mean(dim=(1, 2)) - images[:, 1:].mean(dim=(1, 2, 3))

if not USE_PRETRAINED:
    result = evolve("red", G, redness, optimizer="cma", generations=8, population=12, space="w", classes="star")
    best = [h["best_so_far"] for h in result.run.history]
    print("best redness per generation:", [round(v, 3) for v in best])
    final = read_probe(result.images, probe)
    stars = int((final.shape == G.class_index("star")).sum())
    object_share = float(final.object_mask.mean())
    show(result.images[:6], nrow=6, labels=[f"{f:.2f} · {G.class_names[int(c)]}" for f, c in zip(result.fitness[:6], final.shape[:6])],
         title="final population in W, best first (redness · the probe's class)")
    searched = (f"Best redness rose from **{best[0]:.2f}** to **{best[-1]:.2f}** in {len(best)} generations. "
                f"The probe reads **{stars}** of the {len(result.images)} final images as a star, and finds "
                f"\\"object\\" on **{object_share:.0%}** of their pixels. ")
    searched += ("The measure averages over the whole image, so the search's easiest way up is to turn *everything* "
                 "red: the star dissolves into the background. An assessor gets what it measures, not what you meant "
                 "(exercise 3 repairs it)." if stars < len(result.images) / 2 else
                 "The star survives the search: redness rose without losing the object.")
else:
    searched = "(Skipped with the FFHQ generator: the redness search is set up for the Shapes world.)"
""")
nb.finding("""
{searched}
""")
md("""
## 5. Network dissection: which units draw the object?
GAN dissection (Bau et al., 2020) looks inside one layer. Each **unit** (channel) of the feature map at `block4`
(the last block: 16 units at 64×64) of `shapes-biggan` is thresholded at its own top-decile activation level and
compared with the probe's object mask: the intersection over union (IoU) says how well the unit "is" the object.
`rank_units` sorts the units by it.

One twist: `shapes-biggan` draws its object upright, centred and at one size, and a spatial transformer then moves,
turns and scales it into place. Its object units fire where the object is *drawn*, not where it lands, so
`rank_units` also scores each unit with its map placed the way the object was (`ranking.is_placed(unit)` says which
frame matched); the units explorer's heatmap does the same.
""")
code("""
from latentlab.methods import causal_effect, causal_sweep, intervene, rank_units, record_units
from latentlab.widgets import UnitsExplorer

B = load_generator("shapes-biggan")
recording = record_units(B, "block4", n=96, seed=0)
ranking = rank_units(recording, "object", probe=probe)
print("top units (unit, IoU):", ranking.table(5), "· mean IoU over all units:", round(float(ranking.mean_score), 3))
ranking.plot(k=16); plt.show()
top_iou, fifth_iou = ranking.table(5)[3][1], ranking.table(5)[4][1]
""")
nb.finding("""
The ranking splits the layer: the top four units score IoU **{ranking.table(4)[0][1]:.2f}** to **{top_iou:.2f}**,
the fifth only **{fifth_iou:.2f}** (the mean over all 16 is **{float(ranking.mean_score):.2f}**).
""")
md("""
Correlation is not cause. To test the units we **intervene**: switch the top-k object units off (set to zero) on
new images and let the probe measure how much object is left, against switching off k **random** units of the same
layer (three random draws, averaged). If the ranked units cause the object, the object should shrink much more for
them than for random ones.
""")
code("""
held_out = record_units(B, "block4", n=64, seed=1)
sweep = causal_sweep(B, held_out, ranking, ks=[1, 2, 4, 8], probe=probe)  # causal_effect for each k
effect = sweep.results[sweep.ks.index(4)]
print(f"object pixel fraction: before {effect['before']:.3f} · top-4 off {effect['after']:.3f} · 4 random off {effect['control']:.3f}")
sweep.plot(); plt.show()
zh, yh = held_out.latents[:6], held_out.classes[:6]
with torch.no_grad():
    show(torch.cat([B(zh, yh), intervene(B, zh, yh, "block4", ranking.top(4), mode="ablate")]), nrow=6,
         row_labels=["generated", "top-4 off"], labels=names(yh, 6, B) + [""] * 6,
         title="shapes-biggan: the top-4 object units switched off")
left = {k: a / sweep.before for k, a in zip(sweep.ks, sweep.after)}
left_random = {k: c / sweep.before for k, c in zip(sweep.ks, sweep.control)}
""")
nb.finding("""
With the top four units off, **{effect["after"] / effect["before"]:.0%}** of the object's pixels are left; with four
random units off, **{effect["control"] / effect["before"]:.0%}**. The sweep goes on to eight units:
**{left[8]:.0%}** left for the top eight, **{left_random[8]:.0%}** for eight random ones. {"The ranked units cause the object far more than random ones do, " if left[4] < left_random[4] - 0.1 else "At four units the ranked ones do little more than random ones, "}{"but one or two of them alone change almost nothing" if left[2] > 0.9 else "and even one or two of them matter"}: they share the work.
""")
md("""
Look at the bottom row of the grid: with four units off, part of the object stays where it was, and a faint copy of
the shape shows, upright and near the centre of the image. The same units feed the background too, and without them
it shows a ghost of the object as the convolutions draw it, before the spatial transformer places it. (The
repository's benchmarks measure the same sweep on 256 images.)

The style generator divides the work differently. It places its object the same way (section 3), but its last
block (`b64`, 16 units at 64×64) draws the object's mask with fewer units. Below, each of its two best object units is
switched off alone, then both.
""")
code("""
if not USE_PRETRAINED:
    style_ranking = rank_units(record_units(G, "b64", n=64, seed=0), "object", probe=probe)
    style_held_out = record_units(G, "b64", n=64, seed=1)
    print("top units (unit, IoU):", style_ranking.table(3))
    u1, u2 = style_ranking.top(2)
    alone = {u: causal_effect(G, style_held_out, [u], concept="object", probe=probe) for u in (u1, u2)}
    both = causal_effect(G, style_held_out, style_ranking, k=2, probe=probe)
    for u, e in alone.items():
        print(f"unit {u} off: object pixel fraction {e['before']:.3f} -> {e['after']:.3f} · 1 random off {e['control']:.3f}")
    print(f"units {u1} and {u2} off: {both['before']:.3f} -> {both['after']:.3f} · 2 random off {both['control']:.3f}")
    zs, ys = style_held_out.latents[:6], style_held_out.classes[:6]
    with torch.no_grad():
        show(torch.cat([G(zs, ys), intervene(G, zs, ys, "b64", [u1, u2], mode="ablate")]), nrow=6,
             row_labels=["generated", f"{u1} + {u2} off"], labels=names(ys, 6) + [""] * 6,
             title="shapes-stylegan: its two object units switched off")
    frac = lambda e: e["after"] / e["before"]
    style_units = (f"Its two best units score IoU **{style_ranking.table(3)[0][1]:.2f}** and "
                   f"**{style_ranking.table(3)[1][1]:.2f}**, the third **{style_ranking.table(3)[2][1]:.2f}**. "
                   f"Switched off alone, unit {u1} leaves **{frac(alone[u1]):.0%}** of the object and unit {u2} "
                   f"**{frac(alone[u2]):.0%}**; both together leave **{frac(both):.0%}**, two random units "
                   f"**{both['control'] / both['before']:.0%}**. ")
    style_units += ("Either unit alone can draw the object, both together remove it: a redundant pair. "
                    if min(frac(alone[u1]), frac(alone[u2])) > 0.8 and frac(both) < 0.2 else
                    "The two units do not simply stand in for each other here. ")
else:
    style_units = "(Skipped with the FFHQ generator: the probe reads Shapes-world images only.)"
""")
nb.finding("""
{style_units}
""")
md("""
In the bottom row the probe finds no object, but the picture is not empty: a faint tint of the object's colour, and
of its outline, stays over the square frame it was placed in. The units that were switched off drew the object's
*mask*; other units still carry its colour.
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
separates what an image's coarse layers decide from what the fine ones decide, and the probe can say which is which.
Units of a convolutional generator can be read like that too: a few channels match "object here", and switching
them off shows whether they also *cause* it — alone, together, or only with their neighbours. The embedded models are
small, so read these as the methods at work, not as findings about large GANs.

## Exercises
""")
nb.exercise(
    "rank units for another concept, and switch them off and on",
    """Rank the `block4` units of `shapes-biggan` for `"background_brightness"` (a per-image concept: `rank_units`
scores it by the Spearman correlation between each unit's mean activation and the background's brightness, using
`recording` from section 5). Then switch the top two units **off** (`mode="ablate"`) and **on** (`mode="insert"`,
which sets them to their top-percentile activation) on `held_out`, each against two random units. Does the
background follow the units both ways? Look at the pictures too: is brightness all that the units change?""",
    """`causal_effect(B, held_out, ranking, k=2, mode=..., probe=probe)` returns `before`, `after` and `control`
(the random units) for the ranking's concept. A unit can be *sufficient* for a concept without being *necessary*.""",
    """
bright = rank_units(recording, "background_brightness", probe=probe)
print("top units (unit, Spearman ρ):", bright.table(3))
results = {mode: causal_effect(B, held_out, bright, k=2, mode=mode, probe=probe) for mode in ("ablate", "insert")}
for mode, e in results.items():
    print(f"{mode:>6}: background brightness {e['before']:.3f} -> {e['after']:.3f} · 2 random units {e['control']:.3f}")
rise = {mode: e["after"] - e["before"] for mode, e in results.items()}
print("switching them on", "brightens" if rise["insert"] > 0.05 else "hardly changes", "the background;",
      "switching them off", "darkens it" if rise["ablate"] < -0.05 else "hardly changes it",
      "→ sufficient" + (" and necessary" if rise["ablate"] < -0.05 else ", not necessary"))
with torch.no_grad():
    show(torch.cat([B(zh, yh), intervene(B, zh, yh, "block4", bright.top(2), mode="insert")]), nrow=6,
         row_labels=["generated", "top-2 on"], labels=names(yh, 6, B) + [""] * 6,
         title="'background_brightness' units switched on")
""")
nb.exercise(
    "one layer at a time",
    """The three ranges lump layers together. Mix **one W+ index at a time** from B into A (`layers=[i]`) for every
index of `shapes-stylegan`, and plot, per index, the share of cells that take B's place and B's hue
(`taken_from_b` from section 3 does the reading). Which single index places the object, and which colours it?""",
    """`G.mix` takes a list of indices as well as a range name. One bar chart with two bars per index
(`ax.bar(x - 0.2, ..., width=0.4)`) compares them.""",
    """
if not USE_PRETRAINED:
    per_index = [taken_from_b([i], a, b, read_a, read_b) for i in range(G.num_ws)]
    x = torch.arange(G.num_ws).float()
    fig, ax = plt.subplots(figsize=(6, 2.8), dpi=100)
    ax.bar(x - 0.2, [s["place"] for s in per_index], width=0.4, label="B's place")
    ax.bar(x + 0.2, [s["hue"] for s in per_index], width=0.4, label="B's hue")
    ax.set(xticks=x.tolist(), xticklabels=[f"{i}\\n{r}px" for i, r in enumerate(G.layer_resolutions)],
           xlabel="W+ index (its layer's resolution)", ylabel="share of cells", ylim=(0, 1.05),
           title="what a single W+ style takes from B")
    ax.legend(fontsize=8); plt.show()
    place_at = max(range(G.num_ws), key=lambda i: per_index[i]["place"])
    hue_at = max(range(G.num_ws), key=lambda i: per_index[i]["hue"])
    print(f"index {place_at} ({G.layer_resolutions[place_at]} px) moves the object to B's place in "
          f"{per_index[place_at]['place']:.0%} of cells; index {hue_at} ({G.layer_resolutions[hue_at]} px) "
          f"gives it B's hue in {per_index[hue_at]['hue']:.0%}")
""")
nb.exercise(
    "a red star that stays a star",
    """Section 4's redness measure turned the whole picture red. Write an assessor that asks for what we meant:
redness **inside the object** (the probe's `object_mask`) plus the probe's probability that the object is a star,
and search W again, starting closer to the star class's styles (`options={"sigma": 0.5}`). How many of the final
images does the probe read as stars now?""",
    """`read_probe(images, probe)` gives `object_mask` `[N, 1, H, W]` and `logits` `[N, classes]`; a masked mean is
`(value * mask).sum((1, 2)) / mask.sum((1, 2)).clamp(min=1)`. An assessor is any function of a batch of images that
returns one score per image.""",
    """
STAR = G.class_index("star") if not USE_PRETRAINED else None

def red_star(images):
    r = read_probe(images, probe)
    mask = r.object_mask[:, 0]
    red = images[:, 0] - images[:, 1:].mean(1)
    inside = (red * mask).sum((1, 2)) / mask.sum((1, 2)).clamp(min=1.0)
    return inside + r.logits.softmax(1)[:, STAR]

if not USE_PRETRAINED:
    better = evolve("a red star", G, red_star, optimizer="cma", generations=8, population=12, space="w",
                    classes="star", options={"sigma": 0.5})
    reread = read_probe(better.images, probe)
    print(f"stars among the final {len(better.images)}: {int((reread.shape == STAR).sum())} (the whole-image "
          f"redness search: {stars})")
    show(better.images[:6], nrow=6, labels=[f"{f:.2f} · {G.class_names[int(c)]}" for f, c in zip(better.fitness[:6], reread.shape[:6])],
         title="object redness + p(star), best first")
""")
nb.references("karras2019", "karras2020", "komorowski2021", "wu2021", "abdal2019", "hansen2016", "bau2020dissection")
nb.write()
