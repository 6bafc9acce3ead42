"""Build notebooks/05_paint_by_word.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb05.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/05_paint_by_word.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("05_paint_by_word")
md, code = nb.md, nb.code

md(f"""
{nb.badge}

# 05 · Paint by word: change one region of an image to match a text

Paint by Word (Bau et al., 2021; Andonian, 2021, ch. 4): point at a region of a generated image, type a few words,
and let a search change **only that region** toward them. Three ideas make it work:

1. **A masked semantic loss** (Andonian, 2021, eq. $4.8$): CLIP (Radford et al., 2021) scores only x ⊙ m, the painted
   region.
2. **A spatially split generator** (eq. $4.7$): the generator G = h(f(z)) is cut after its first block; the feature map
   keeps the original latent's values outside the mask and takes a *new* latent's values inside it:
   $G_{{z,m}}(z') = h(f(z) \\odot (1 - m) + f(z') \\odot m)$. For BigGAN-style generators (Brock et al., 2019)
   latentlab also splits the later blocks' conditioning the same way, as Bau et al. (2021) do for StyleGAN's styles.
3. **An image-consistency loss** (eqs. $4.9$–$4.10$): λ · (L2 + perceptual distance) between the image outside the mask
   before and after the edit. CMA-ES (Hansen, 2016) searches z': without gradients it avoids the adversarial images
   that gradient descent on CLIP tends to find (Andonian, 2021, §4.3.3).

Everything here runs on a CPU with the embedded `shapes-biggan`, `shapes-clip` and `shapes-probe`. Each search shows
a progress bar; one edit of 15 generations takes several seconds.
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to paint on BigGAN-deep 128 with OpenAI's CLIP ViT-B/32
# (downloads into the cache: 211 MB + 605 MB). With False nothing is downloaded and everything runs on a CPU.
USE_PRETRAINED = False
""")
code("""
import colorsys

import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display

from latentlab import load_generator, show_grid as show
from latentlab.assessors import object_mask, read_probe
from latentlab.assessors.clip import CLIPAssessor
from latentlab.data import nearest_colour
from latentlab.masks import rect_mask
from latentlab.methods.paint import paint_by_word

torch.set_num_threads(2)
if USE_PRETRAINED:
    G, CLIP, DEVICE = load_generator("biggan-deep-128").to("cuda"), "ViT-B-32/openai", "cuda"
else:
    G, CLIP, DEVICE = load_generator("shapes-biggan"), "shapes-clip", "cpu"
z = G.sample_latents(1, seed=3, truncation=0.8)
y = G.class_index("star") if not USE_PRETRAINED else G.class_index("goldfinch")
with torch.no_grad():
    original = G(z, torch.tensor([y], device=G.device)).cpu()
""")
code("""
def as_rgb(mask):
    \"\"\"A [H, W] mask as a grey [1, 3, H, W] image, to show beside pictures.\"\"\"
    return mask.float().cpu()[None, None].expand(1, 3, -1, -1)


def probe_says(image):
    \"\"\"What shapes-probe reads in one image [3, H, W]: class, colour name and size.\"\"\"
    r = read_probe(image[None].clamp(0, 1))
    return {"class": G.class_names[int(r.shape[0])], "colour": nearest_colour(r.hue)[0], "scale": float(r.scale[0])}


def colour_name(rgb):
    \"\"\"A rough name for a mean RGB colour: its nearest named hue, or grey when it is barely saturated.\"\"\"
    h, s, v = colorsys.rgb_to_hsv(*[float(c) for c in rgb])
    return ("greyish " if s < 0.25 else "") + nearest_colour(torch.tensor([h]))[0]
""")
md("""
## 1. A mask

People paint masks with the canvas at the end of this notebook. Here the mask is made in code so the notebook runs
unattended: `object_mask` asks `shapes-probe` where the object is and grows that region by a few pixels
(`rect_mask` makes rectangles).
""")
code("""
mask = object_mask(original, grow=3)[0] if not USE_PRETRAINED else rect_mask(G.resolution, 32, 32, 96, 96)
print(f"mask covers {mask.mean():.0%} of the image")
show(torch.cat([original, as_rgb(mask)]), nrow=2, labels=["original", "mask"], title="the image and the region to edit")
""")
md("""
## 2. Recolour the object

`paint_by_word` returns the edited image, the region's new latents, the masked CLIP score before and after, and how
much changed outside the mask (mean squared pixel difference and a perceptual distance: LPIPS (Zhang et al., 2018)
when its weights are cached, otherwise the offline `shapes-probe` feature distance). The titles of the plot show the
masked score before and after.
""")
code("""
text = "a blue star" if not USE_PRETRAINED else "a red bird"
edit = paint_by_word(G, z, mask, text, classes=y, clip=CLIP, generations=15, population=12, seed=0)
edit.plot(); plt.show()
print(f"masked CLIP score {edit.scores['inside_before']:.2f} -> {edit.scores['inside_after']:.2f}")
print(f"outside the mask: L2 change {edit.outside_change['l2']:.2e}")
if not USE_PRETRAINED:
    read_before, read_after = probe_says(edit.before), probe_says(edit.image)
    print("the probe reads, before:", read_before)
    print("                 after: ", read_after)
""")
code("""
if not USE_PRETRAINED:
    grew = read_after["scale"] - read_before["scale"]
    recolour = (f"The probe reads the object as a **{read_after['colour']} {read_after['class']}** now "
                f"(before: a {read_before['colour']} {read_before['class']}), its size from **{read_before['scale']:.2f}** to "
                f"**{read_after['scale']:.2f}** of the width. "
                + ("The search did more than recolour: the region's new latent draws a whole new object of its own size inside "
                   "the mask, and nothing in the loss asks it to keep the old size. " if abs(grew) > 0.05 else
                   "Its size hardly changed. "))
else:
    recolour = ""
""")
nb.finding("""
The masked score rose from **{edit.scores["inside_before"]:.2f}** to **{edit.scores["inside_after"]:.2f}**, while the
image outside the mask changed by a mean squared difference of only **{edit.outside_change["l2"]:.1e}**. {recolour}
""")
md("""
## 3. Why split the generator?

The same masked loss on the *unsplit* generator has to move the whole latent: one latent drives every pixel, so the
region cannot change alone, and the consistency term fights every change outside (Andonian, 2021, Fig. 4-2). One
edit is an anecdote; the repository's benchmarks repeat this comparison over 50 edits (recolouring, background,
class changes) and report the mean change outside the mask for both.
""")
code("""
unsplit = paint_by_word(G, z, mask, text, classes=y, clip=CLIP, split=False, generations=15, population=12, seed=0)
show(torch.stack([edit.before, edit.image, unsplit.image]), nrow=3, labels=["original", "split", "unsplit"],
     title=f"{text!r}: split and unsplit generator")
print(f"masked score gain: split {edit.inside_gain:+.2f}, unsplit {unsplit.inside_gain:+.2f}")
print(f"outside L2 change: split {edit.outside_change['l2']:.2e}, unsplit {unsplit.outside_change['l2']:.2e}")
""")
nb.finding("""
Split, the masked score gains **{edit.inside_gain:+.2f}** and the outside changes by **{edit.outside_change["l2"]:.1e}**;
unsplit, it gains **{unsplit.inside_gain:+.2f}** and the outside changes by **{unsplit.outside_change["l2"]:.1e}**
({"more" if unsplit.outside_change["l2"] > edit.outside_change["l2"] else "less"} than split).
{"With the whole latent to move and the consistency term holding the outside, the unsplit search makes less progress on the region." if unsplit.inside_gain < edit.inside_gain else "Here the unsplit search gains as much on the region, at the price of the outside."}
""")
md("""
## 4. Edits build on each other, and a background edit

`edit.edits` holds the accepted region edits; pass them on and the next edit starts from the edited image. Here we
ask for a green background in a band along the left edge. Background edits are the hard case, so instead of
assuming what the edit did, we measure it: how much the pixels changed on the object and on the background inside
the band, and outside it; the band's background colour before and after; and what the probe reads in the object.
""")
code("""
left = rect_mask(G.resolution, 0, 0, G.resolution // 4, G.resolution)
background_text = "on a green background" if not USE_PRETRAINED else "green grass"
second = paint_by_word(G, z, left, background_text, classes=y, clip=CLIP, edits=edit.edits, generations=15,
                       population=12, seed=1)
second.plot(); plt.show()
print(f"edits so far: {[e.text for e in second.edits]}")
""")
code("""
band = left > 0.5
on_object = object_mask(second.before[None].to(G.device), grow=0)[0].cpu() > 0.5 if not USE_PRETRAINED else torch.zeros_like(band)
change = (second.image - second.before).abs().mean(dim=0)          # mean |Δ| over the colour channels, per pixel
where = {"band, object": band & on_object, "band, background": band & ~on_object, "outside the band": ~band}
moved = {name: float(change[m].mean()) if m.any() else 0.0 for name, m in where.items()}
for name, value in moved.items():
    print(f"mean |change| {name:18s} {value:.3f}   ({int(where[name].sum())} pixels)")
bg_before, bg_after = (img[:, band & ~on_object].mean(dim=1) for img in (second.before, second.image))
print("band background, mean RGB:", [round(v, 2) for v in bg_before.tolist()], "->", [round(v, 2) for v in bg_after.tolist()])
band_clip = {t: CLIPAssessor(t, model=CLIP, mask=left)(torch.stack([second.before, second.image]).to(G.device)).tolist()
             for t in (background_text, "a green object")}
for t, (b, a) in band_clip.items():
    print(f"CLIP on the band, {t!r:26s} {b:5.2f} -> {a:5.2f}")
if not USE_PRETRAINED:
    read_2 = probe_says(second.image)
    print("the probe reads the object, before:", probe_says(second.before), " after:", read_2)
""")
code("""
bg_green = colour_name(bg_after) == "green"
part = band & on_object
part_after = colour_name(second.image[:, part].mean(dim=1)) if part.any() else "nothing"
if not USE_PRETRAINED:
    object_part = (f"The object's pixels inside the band changed most (**{moved['band, object']:.3f}** on average, "
                   f"against **{moved['band, background']:.3f}** for the band's background): "
                   + (f"the part of the star inside the band was repainted {part_after}, and " if moved["band, object"] > 2 * moved["band, background"] else "")
                   + f"the probe now reads the whole object as **{read_2['colour']}** (before: {read_after['colour']}). ")
else:
    object_part = ""
background = (f"The band's background went from {colour_name(bg_before)} (mean RGB {', '.join(f'{v:.2f}' for v in bg_before.tolist())}) "
              f"to {colour_name(bg_after)} ({', '.join(f'{v:.2f}' for v in bg_after.tolist())}): "
              + ("it did turn green. " if bg_green else "**it did not turn green**. "))
""")
nb.finding("""
{background}{object_part}Outside the band the image changed by **{moved["outside the band"]:.4f}** per pixel. Yet the
masked CLIP score for {background_text!r} rose from **{band_clip[background_text][0]:.2f}** to
**{band_clip[background_text][1]:.2f}** — and the score of "a green object" for the same band rose too, from
**{band_clip["a green object"][0]:.2f}** to **{band_clip["a green object"][1]:.2f}**.
{"The search satisfied CLIP without doing what the words asked." if not bg_green else ""}
""")
md("""
**Why background edits mostly fail.** Two reasons, both visible above. First, the generator draws background and
object *together*: the split swaps the feature map inside the band for the features of a new latent, and those
features render whatever that latent's own image has there — object and background at once. There is no "background
only" to search for, so wherever the band overlaps the object, the cheapest change is to repaint the object.
Second, CLIP judges the band as x ⊙ m, the rest of the image black. `shapes-clip` learned from whole scenes, every one
with an object in it, never from a strip of background on its own; a green object part in the strip raises its score
for "green" as well as a green background would. The repository's benchmarks find the same over many edits:
recolouring an object and changing its class work, background edits mostly fail. A larger generator and CLIP, which
have seen skies and lawns, fare better (Bau et al., 2021). Exercise 2 below asks what happens when the mask leaves
the object out.
""")
md("""
## 5. Paint with the mouse

`PaintCanvas` is the same method behind a canvas: brush (or erase) a region, type a text, press **Paint**; the search
runs in the background with a progress bar, then **accept** keeps the edit (it joins the strip below and the next
edit builds on it) or **discard** drops it. Undo and clear work on the mask. In Colab, latentlab turns on the custom
widget manager that ipycanvas needs.
""")
code("""
from latentlab.widgets import PaintCanvas

canvas = PaintCanvas(G, latents=z[0], classes=y, text=text, clip=CLIP, generations=15, population=12)
display(canvas)
""", ignore_output=True)
md("""
## Exercises

The searches below use a small budget (a few generations of a small population) so that each runs in seconds; raise
`generations` to see how far the edit goes.
""")
nb.exercise(
    "change the class, not the colour",
    """Paint "a triangle" and then "a heart" over the original star, letting the search change the region's class as
well as its latent (`space="z+class"`). Show before and after, and ask the probe which class it reads in each result.
Does a higher masked CLIP score always mean the class you asked for?""",
    """Use the same `mask` and `z`; `paint_by_word(..., space="z+class", generations=6, population=8)`. The helper
`probe_says(image)` reads one image.""",
    """
if not USE_PRETRAINED:
    results = {}
    for wanted in ["triangle", "heart"]:
        results[wanted] = paint_by_word(G, z, mask, f"a {wanted}", classes=y, clip=CLIP, space="z+class", generations=6,
                                        population=8, seed=1)
    show(torch.stack([edit.before] + [r.image for r in results.values()]), nrow=3,
         labels=["before"] + [f"'a {w}'" for w in results], title="class searched as well as the latent")
    plt.show()
    for wanted, r in results.items():
        print(f"asked for a {wanted:8s} masked score {r.scores['inside_before']:.2f} -> {r.scores['inside_after']:.2f}, "
              f"the probe reads a {probe_says(r.image)['class']}")
""")
nb.exercise(
    "keep the object out of the background's mask",
    """The band in section 4 overlapped the star. Build a mask of the band *without* the object (grow the object mask
by a few pixels first), repeat the green-background edit from the recoloured image with a small budget, and measure
the band background's mean colour before and after. Does the background turn green once the object is out of reach?
Why, or why not?""",
    """`object_mask(image[None], grow=3)[0]` gives the grown object mask; `left * (1 - grown)` removes it from the
band. Reuse `colour_name` on the mean RGB of the masked pixels — and look at the picture: did anything else appear
in the mask?""",
    """
if not USE_PRETRAINED:
    grown = object_mask(edit.image[None], grow=3)[0].cpu()
    background_only = left * (1 - grown)
    attempt = paint_by_word(G, z, background_only, background_text, classes=y, clip=CLIP, edits=edit.edits,
                            generations=4, population=8, seed=1)
    show(torch.stack([attempt.before, as_rgb(background_only)[0], attempt.image]), nrow=3,
         labels=["before", "mask", "after"], title="a background-only mask")
    plt.show()
    sel = background_only > 0.5
    before_rgb, after_rgb = attempt.before[:, sel].mean(dim=1), attempt.image[:, sel].mean(dim=1)
    print("masked score", f"{attempt.scores['inside_before']:.2f} -> {attempt.scores['inside_after']:.2f}")
    print(f"mean colour in the mask: {colour_name(before_rgb)} {before_rgb.numpy().round(2)} -> "
          f"{colour_name(after_rgb)} {after_rgb.numpy().round(2)}")

    def saturated(image):
        # Shapes-world backgrounds are pale; objects are saturated. Count saturated pixels inside the mask.
        hi, lo = image.max(dim=0).values, image.min(dim=0).values
        return int((((hi - lo) / hi.clamp(min=1e-6) > 0.6) & sel).sum())
    print(f"saturated (object-like) pixels in the mask: {saturated(attempt.before)} -> {saturated(attempt.image)} "
          f"of {int(sel.sum())}")
""")
nb.exercise(
    "how fast do the searches converge?",
    """Every result keeps its search history (`result.history`: per generation the best, mean and best-so-far
fitness). Plot the best-so-far fitness per generation of the split and the unsplit edit from section 3 on one
axis, and read off which one was still improving when the budget ran out.""",
    """`[h["best_so_far"] for h in edit.history]`; label the axes (generation, fitness = masked CLIP + λ · consistency).""",
    """
fig, ax = plt.subplots(figsize=(5, 3), dpi=100)
for name, result in [("split", edit), ("unsplit", unsplit)]:
    ax.plot([h["generation"] for h in result.history], [h["best_so_far"] for h in result.history], "o-", ms=3, label=name)
ax.set(xlabel="generation", ylabel="best fitness so far", title=f"CMA-ES on {text!r}")
ax.legend(); fig.tight_layout(); plt.show()
for name, result in [("split", edit), ("unsplit", unsplit)]:
    h = result.history
    print(f"{name:8s} last five generations gained {h[-1]['best_so_far'] - h[-6]['best_so_far']:+.3f}")
""")
nb.references("bau2021", "andonian2021", "radford2021", "brock2019", "hansen2016", "zhang2018")

nb.write()
