"""Build notebooks/10_edit_your_own_image.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb10.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/10_edit_your_own_image.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("10_edit_your_own_image")
md, code = nb.md, nb.code

md(f"""
{nb.badge}

# 10 · Edit your own image: invert it into Z, W or W+, then move it, repaint it and save the edit

Every earlier notebook started from a latent and asked the generator for its image. Here the image comes first: a
picture the generator **never made**. To edit it with the generator's tools (directions, layer ranges, paint by word)
we first need a latent whose image looks like it, which is **inversion** (Plumerault, 2023, ch. 4; Abdal et al.,
2019): search the latent space for the vector whose image is closest to the picture.

A style-based generator (Karras et al., 2019; 2020) offers three places to search, and the choice decides what you
can do afterwards:

| space | what is searched | free numbers here |
|---|---|---|
| **Z** | the prior's latent, through the mapping network | `latent_dim` |
| **W** | one style vector for every layer (mapping network skipped) | `w_dim` |
| **W+** | one style vector per layer | `num_ws × w_dim` |

More free numbers can reconstruct the picture more closely, but the vectors found may lie where the mapping network never
puts its outputs, and a direction learnt on generated images may do something else there. This notebook measures both
sides of that trade-off, then edits the picture. Everything runs on a CPU with the embedded `shapes-stylegan`, in a
minute or two.
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to also invert a photo of your own (MY_PHOTO, a square crop of a face
# works best) into NVIDIA's StyleGAN2 FFHQ generator in the last cell (a download into the cache, read by latentlab's
# safe loader, which never runs code from the pickle). With False nothing is downloaded.
USE_PRETRAINED = False
MY_PHOTO = "my_photo.jpg"
""")
code("""
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display

import latentlab
from latentlab import EditedImage, invert, load_generator, load_image, render_shapes, save_image, show_grid as show
from latentlab.assessors import ProbeFactor, object_mask
from latentlab.assessors.probe_reader import as_reader
from latentlab.data.colours import nearest_colour, rgb_to_hue
from latentlab.data.shapes import render_layers
from latentlab.methods import linear_boundary
from latentlab.spaces import Direction, resolve_space

torch.set_num_threads(1)  # these networks are so small that splitting each operation over threads costs more than it saves
G = load_generator("shapes-stylegan")  # embedded weights, verified by checksum
probe = as_reader(None)  # the embedded shapes-probe: reads class, x, y, scale and hue off Shapes-world images
print(f"{G.resolution}×{G.resolution} px · classes {', '.join(G.class_names)}")
print(f"Z: {G.latent_dim} numbers · W: {G.w_dim} · W+: {G.num_ws} × {G.w_dim} = {G.num_ws * G.w_dim}")
""")

# --------------------------------------------------------------------------------------------------- 1. the image
md("""
## 1. A picture the generator never made

Any picture will do; to be able to *check* every step we take one from the Shapes world's own renderer, so its true
shape, position and colour are known. `render_shapes` draws it procedurally: no network is involved, so the generator
has never produced this exact image. We save it to a PNG and load it back the way you would load your own photo,
`load_image(path, size=G.resolution)` (it crops to a square and resizes).

The second picture is the same heart painted **white**. The Shapes world always gives its objects a saturated colour,
so white is a colour the generator never saw on an object: a small test of what happens when the picture lies
outside what the generator can make.
""")
code("""
folder = Path(tempfile.mkdtemp())
batch = render_shapes(1, seed=0)
truth = batch.factors
save_image(batch.images, folder / "my_picture.png")
mine = load_image(folder / "my_picture.png", size=G.resolution)  # [1, 3, 64, 64] in [0, 1]

background, coverage, _ = render_layers(truth)  # the same picture, object painted white
white = torch.lerp(background, torch.ones_like(background), coverage)
save_image(white, folder / "white_heart.png")
white = load_image(folder / "white_heart.png", size=G.resolution)

targets = torch.cat([mine, white])
print(f"truth: a {truth.shape_names[0]} at x = {truth.x[0]:.2f}, y = {truth.y[0]:.2f} "
      f"(fractions of the image, y down), size {truth.scale[0]:.2f}, hue {truth.hue[0]:.2f}")
show(targets, nrow=2, labels=["my picture", "white heart"], title="the two targets")
""")

# --------------------------------------------------------------------------------------------------- 2. inversion
md("""
## 2. Invert it in Z, W and W+

`invert(G, target, space=...)` runs one of two recipes:

* **Z** (Plumerault, 2023, ch. 4): gradient steps on z, kept inside the ball ‖z‖ ≤ √d where the prior's latents
  live. The image comes out of the mapping network, so every z found is an ordinary input of the generator.
* **W and W+** (the projector of StyleGAN2-ADA, Karras et al., 2020, *Training generative adversarial networks with
  limited data*): start at the mean style of a class, search in units of how much generated styles spread, ramp the
  learning rate up and then down, and add noise to the vector early on so the search does not settle in the first
  dip it finds. For W+ it first searches one w for every layer, then lets each layer's style go its own way
  (Abdal et al., 2019).

The class is not given: `invert` starts one search per class, side by side, and keeps the best after a quarter of the
steps (half in Z, where the classes take longer to tell apart). All three use the plain pixel MSE (`loss="mse"`, the
projector's default; Z would default to a blurred MSE) so that their PSNR, which is computed from the pixel MSE,
compares like with like. 200 steps per space, both pictures in one batch; the bars show each search's progress.
""")
code("""
results = {space: invert(G, targets, space=space, steps=200, loss="mse", seed=0, progress=True) for space in ("z", "w", "w+")}
""")
code("""
for space, r in results.items():  # how long each took (not compared by the notebook tests)
    print(f"{space:>2}: {r.seconds:.1f} s")
""", ignore_output=True)
md("""
The table reads the reconstructions of *my picture* with `shapes-probe`, the embedded network that measures Shapes-world
images (class, position, size, hue). "search kept" is the class whose search won: in Z it is the class the generator
is given; in W and W+ it is only where the winning search started, since there the style vector itself carries the
class. The probe is only used on the first picture: it learnt from Shapes-world images and has never seen a white
object. For the colour of each reconstructed object we take the pixels that differ clearly from the picture's
background and name their mean colour.
""")
code("""
def reading(images):
    r = probe.read(images)
    return [(G.class_names[int(c)], float(x), float(y)) for c, x, y in zip(r.shape, r.x, r.y)]

def object_colour(images, ground=background, threshold=0.25):
    \"\"\"Mean RGB [N, 3] of the pixels that differ from ``ground`` (the targets' background) by more than ``threshold``.\"\"\"
    differs = ((images - ground).abs().sum(1, keepdim=True) > threshold).float()
    return (images * differs).sum((2, 3)) / differs.sum((2, 3)).clamp(min=1.0)

def colour_name(rgb):
    \"\"\"'white', 'grey' or the nearest named hue of one RGB colour.\"\"\"
    saturation = float((rgb.max() - rgb.min()) / rgb.max().clamp(min=1e-6))
    if saturation < 0.25:
        return "white" if rgb.min() > 0.75 else "grey"
    return nearest_colour(rgb_to_hue(rgb[None]))[0]

psnr = {space: r.psnr() for space, r in results.items()}
read_mine = {space: reading(r.images[:1].cpu())[0] for space, r in results.items()}
colours = {space: [colour_name(c) for c in object_colour(r.images.cpu())] for space, r in results.items()}
print(f"{'space':>5} {'numbers':>7} {'PSNR mine':>10} {'PSNR white':>11}  {'probe reads (mine)':<24} search kept  colours")
print(f"{'truth':>5} {'':>7} {'':>10} {'':>11}  {truth.shape_names[0]:>7} x {truth.x[0]:.2f} y {truth.y[0]:.2f}")
for space, r in results.items():
    shape, x, y = read_mine[space]
    print(f"{space:>5} {r.z.shape[1]:>7} {psnr[space][0]:>8.1f}dB {psnr[space][1]:>9.1f}dB  {shape:>7} x {x:.2f} y {y:.2f}"
          f"       {G.class_names[int(r.classes[0])]:<9} {' / '.join(colours[space])}")
grid = torch.cat([targets[i:i + 1] if s == "target" else results[s].images[i:i + 1].cpu()
                  for i in range(2) for s in ("target", "z", "w", "w+")])
show(grid, nrow=4, row_labels=["my picture", "white heart"], col_labels=["target", "Z", "W", "W+"],
     title="reconstructions after 200 steps")
""")
code("""
lead = {i: float(psnr["w+"][i] - max(psnr["z"][i], psnr["w"][i])) for i in (0, 1)}
shapes_read = {space: read_mine[space][0] for space in results}
if shapes_read["z"] != truth.shape_names[0]:
    shape_sentence = (f"Z, whose only freedom is the mapping network's input, also misses the shape of my picture: the probe "
                      f"reads its reconstruction as a {shapes_read['z']}, W's as a {shapes_read['w']} and W+'s as a {shapes_read['w+']}.")
else:
    shape_sentence = f"On my picture the probe reads a {shapes_read['z']} in Z, a {shapes_read['w']} in W and a {shapes_read['w+']} in W+."
""")
nb.finding("""
W+ reconstructs my picture at **{psnr["w+"][0]:.1f} dB** PSNR, against **{psnr["w"][0]:.1f} dB** in W and
**{psnr["z"][0]:.1f} dB** in Z; on the white heart at **{psnr["w+"][1]:.1f} dB**, against **{psnr["w"][1]:.1f}** and
**{psnr["z"][1]:.1f} dB**. Its lead over the better of the other two is **{lead[0]:.1f} dB** on my picture and
**{lead[1]:.1f} dB** on the white heart{", largest on the picture the generator was never taught to make" if lead[1] > lead[0] else ""}.
The colours say why: on the white heart, Z's object comes out **{colours["z"][1]}**, W's **{colours["w"][1]}** and
W+'s **{colours["w+"][1]}**. {shape_sentence}
""")

# --------------------------------------------------------------------------------------------------- 3. trade-off
md("""
## 3. The price of W+: vectors the mapping network never makes

Why not always use W+? Its vectors have ten times as many numbers, and nothing keeps the ten per-layer styles close to
the styles the mapping network produces (Abdal et al., 2019; Tov et al., 2021, call this the distortion–editability
trade-off). A direction learnt on generated images moves generated styles; applied to a vector from elsewhere it may
move something else. Two measurements.

**(a) How far from the styles of generated images?** `resolve_space("w", G).statistics()` gives the mean and spread of
every coordinate of w over generated images. For each layer's style we take the root-mean-square of its standardised
coordinates (1 is typical) and say which share of 1,000 generated styles lies closer to the mean. A W vector has the
same style on every layer; a W+ vector has ten, and the last column says how different they are from each other
(their spread across layers, in the same standardised units; ten *unrelated* generated images give the value
printed below the table).
""")
code("""
w_space = resolve_space("w", G)
mean, std = w_space.statistics()
generated = w_space.sample(1000, seed=1)  # styles of 1,000 generated images
def distance(w):  # [..., w_dim] -> RMS of the standardised coordinates
    return ((w - mean) / std).square().mean(-1).sqrt()
reference = distance(generated)
unrelated = float((generated[:10] / std).std(0).mean())  # spread across the styles of 10 unrelated images

share, across = {}, {}
print(f"{'':14} {'distance per W+ layer (share of generated styles closer)':<62} spread across layers")
for i, name in enumerate(["mine", "white"]):
    for space in ("w", "w+"):
        styles = results[space].z[i].reshape(-1, G.w_dim).expand(G.num_ws, -1)
        share[name, space] = torch.stack([(reference < v).float().mean() for v in distance(styles)])
        across[name, space] = float((styles / std).std(0).mean())
        print(f"{name:>11} {space:>2} " + " ".join(f"{s:>5.0%}" for s in share[name, space].tolist())
              + f"    {across[name, space]:.2f}")
print(f"generated styles: median distance {reference.median():.2f}, 99th percentile {reference.quantile(0.99):.2f}")
print(f"spread across the styles of 10 unrelated generated images: {unrelated:.2f}")
""")
nb.finding("""
Each of the ten styles of the W+ inversion of my picture, taken alone, lies {"within" if share["mine", "w+"].max() < 0.99 else "at the edge of"} the range of
generated styles: the farthest of them is farther from the mean than **{share["mine", "w+"].max():.0%}** of
generated styles. What no generated image has is the combination: the mapping network gives every layer the same w
(spread 0), while the ten styles found spread by **{across["mine", "w+"]:.2f}**, against **{unrelated:.2f}** for the
styles of ten unrelated images. The white heart's W+ vector goes {"farther" if across["white", "w+"] > across["mine", "w+"] else "no farther"}: its ten styles
spread by **{across["white", "w+"]:.2f}**, and its last style, the one that colours the object (notebook 09), is
farther from the mean than **{share["white", "w+"][-1]:.0%}** of generated styles.
""")
md("""
**(b) Does an edit do what it does to generated images?** We need a direction whose effect the probe can measure: a
linear boundary in W between generated images with the object on the left and on the right (InterFaceGAN, Shen et al.,
2020: `linear_boundary`), scaled so that one unit is the spread of generated styles along it. Each inversion of my
picture is moved by −2 … +2 units; so are 32 generated images, the reference. The probe reads the object's x (what
the direction is for) and what else moves with it: y, size and hue (largest change from amount 0) and how many of the
five images change class. A W vector moves on every layer at once, and so does the W+ vector here: the same step on
each of its ten styles.
""")
code("""
boundary = linear_boundary(G, ProbeFactor("x"), space="w", n=400, seed=0)
spread = float((generated @ boundary.unit).std())  # how much generated styles vary along the boundary's normal
x_direction = Direction(boundary.unit * spread, "object x", "interfacegan", space="w")
print(f"boundary accuracy on held-out samples: {boundary.info['accuracy']:.2f}")

AMOUNTS = [-2.0, -1.0, 0.0, 1.0, 2.0]
def effect(readings):  # one reading per amount -> x per amount, drift of y, size and hue, class changes
    x = [float(v) for v in readings.x]
    drift = {f: float((getattr(readings, f) - getattr(readings, f)[2]).abs().max()) for f in ("y", "scale")}
    hue = (readings.hue - readings.hue[2] + 0.5).remainder(1.0) - 0.5  # hue is an angle: the short way round
    changed = int((readings.shape != readings.shape[2]).sum())
    return x, drift["y"], drift["scale"], float(hue.abs().max()), changed
""")
code("""
print(f"{'':22} {'probe x at amounts −2 … +2':<30} {'Δx':>5} | drift: {'y':>5} {'size':>5} {'hue':>5} {'class':>6}")
with torch.no_grad():
    rows = [w_space.render(x_direction.move(generated[:32], t)).clamp(0, 1) for t in AMOUNTS]  # [32, 3, H, W] each
per_image = [effect(probe.read(torch.stack([r[k] for r in rows]))) for k in range(32)]
mean_of = lambda j: sum(e[j] for e in per_image) / len(per_image)
x_mean = [sum(e[0][a] for e in per_image) / len(per_image) for a in range(len(AMOUNTS))]
moves = {"generated": (x_mean[-1] - x_mean[0], max(mean_of(1), mean_of(2), mean_of(3)), mean_of(4))}
print(f"{'generated (mean of 32)':<20} " + " ".join(f"{v:.2f}" for v in x_mean)
      + f"       {x_mean[-1] - x_mean[0]:+.2f} |        {mean_of(1):.2f}  {mean_of(2):.2f}  {mean_of(3):.2f}   {mean_of(4):.1f}/5")
strips = {}
for space in ("w", "w+"):
    edit = EditedImage.from_inversion(results[space])  # image 0: my picture
    strips[space] = edit.walk(G, x_direction, AMOUNTS)
    x, dy, ds, dh, changed = effect(probe.read(strips[space]))
    moves[space] = (x[-1] - x[0], max(dy, ds, dh), changed)
    print(f"{'my picture in ' + space.upper():<22} " + " ".join(f"{v:.2f}" for v in x)
          + f"       {x[-1] - x[0]:+.2f} |        {dy:.2f}  {ds:.2f}  {dh:.2f}     {changed}/5")
white_strips = {space: EditedImage.from_inversion(results[space], index=1).walk(G, x_direction, AMOUNTS)
                for space in ("w", "w+")}
show(torch.cat([strips["w"], strips["w+"], white_strips["w"], white_strips["w+"]]), nrow=5,
     row_labels=["mine · W", "mine · W+", "white · W", "white · W+"], col_labels=[f"{t:+g}" for t in AMOUNTS],
     title="along the x direction (amounts −2 … +2)")
""")
code("""
white_rgb = {space: object_colour(s.cpu()) for space, s in white_strips.items()}  # [5, 3] per space
for space, rgb in white_rgb.items():
    print(f"white heart in {space.upper():<2}: object colour at −2 … +2:",
          "  ".join("(" + ", ".join(f"{v:.2f}" for v in c) + ")" for c in rgb.tolist()))
def tint(rgb):  # the hue a near-white colour leans to
    return nearest_colour(rgb_to_hue(rgb[None]))[0]
w_darker = float(white_rgb["w"][-1].max() - white_rgb["w"][0].max())
wp_names = [colour_name(c) for c in white_rgb["w+"]]
wp_walk = f"stays {wp_names[0]}" if len(set(wp_names)) == 1 else "goes " + " → ".join(wp_names)
""")
nb.finding("""
On my picture, the edit moves the object to the right in both spaces, by **{moves["w"][0]:+.2f}** in W and
**{moves["w+"][0]:+.2f}** in W+ (fractions of the image), {"less than" if max(moves["w"][0], moves["w+"][0]) < moves["generated"][0] else "as far as"} the
**{moves["generated"][0]:+.2f}** it moves generated images{" (W+ a little less than W: the trade-off in miniature)" if moves["w+"][0] < moves["w"][0] else ""}. Everything else
moves little: the largest drift of y, size or hue is **{moves["w"][1]:.2f}** in W and **{moves["w+"][1]:.2f}** in W+
(generated images: **{moves["generated"][1]:.2f}** on average), and {"no image of either walk changes class" if moves["w"][2] == moves["w+"][2] == 0 else f"{moves['w'][2]} and {moves['w+'][2]} of the five images change class"}. On a picture the generator can nearly make, W+'s closer reconstruction cost {"little" if moves["w+"][0] > 0.5 * moves["w"][0] else "much"} editability in this run.

The probe cannot measure the white heart (it has never seen a white object), so the colours above and the last two
rows of the grid tell: the W heart stays **{colour_name(white_rgb["w"][2])}** and its brightest channel {"drops" if w_darker < 0 else "rises"} by **{abs(w_darker):.2f}**
from −2 to +2; the W+ heart {wp_walk} along the walk, with a faint **{tint(white_rgb["w+"][0])}** tint at −2 and a faint
**{tint(white_rgb["w+"][-1])}** one at +2.
""")

# --------------------------------------------------------------------------------------------------- 4. edit
md("""
## 4. Edit the W+ inversion: a layer range, a repainted region, a saved edit

An `EditedImage` holds the image as a vector of its space, the regions painted on top and the list of steps that
made it. In W+ a W direction can move **some layers only**: `layers="coarse"` (the 4–8 px layers), `"middle"`
(16–32 px) or `"fine"` (64 px). Notebook 09 measured that the coarse styles place the object and the fine ones
colour it. The same direction, restricted to each range:
""")
code("""
found = EditedImage.from_inversion(results["w+"], model="shapes-stylegan")
by_range = {}
print(f"{'layers':>8} {'W+ indices':<14} {'probe x at −2 … +2':<26} {'Δx':>5}  {'Δhue':>5}")
for layers in (None, "coarse", "middle", "fine"):
    r = probe.read(found.walk(G, x_direction, AMOUNTS, layers=layers))
    hue = (r.hue - r.hue[2] + 0.5).remainder(1.0) - 0.5
    by_range[layers or "all"] = (float(r.x[-1] - r.x[0]), float(hue[-1] - hue[0]))
    indices = "all" if layers is None else str(G.mix_layers(layers))
    print(f"{str(layers or 'all'):>8} {indices:<14} " + " ".join(f"{v:.2f}" for v in r.x)
          + f"   {r.x[-1] - r.x[0]:+.2f}  {hue[-1] - hue[0]:+.2f}")
""")
nb.finding("""
On all layers the direction moves the object by **{by_range["all"][0]:+.2f}** and turns its hue by
**{by_range["all"][1]:+.2f}**: it was learnt for position, but in W it {"also carries a little colour" if abs(by_range["all"][1]) >= 0.01 else "carries almost no colour"}. The layer ranges take it
apart. On the **coarse** layers it moves the object by **{by_range["coarse"][0]:+.2f}** and turns the hue by
**{by_range["coarse"][1]:+.2f}**; on the **fine** layers by **{by_range["fine"][0]:+.2f}** and **{by_range["fine"][1]:+.2f}**;
on the **middle** layers by **{by_range["middle"][0]:+.2f}** and **{by_range["middle"][1]:+.2f}**.
{"Position goes with the coarse styles and colour with the fine ones: the division of labour of a style-based generator (notebook 09), and the reason to invert into W+ when you want to edit by layer." if abs(by_range["coarse"][0]) > 4 * abs(by_range["fine"][0]) and abs(by_range["fine"][1]) > abs(by_range["coarse"][1]) else "Here the ranges do not split position from colour cleanly."}
""")
md("""
Now move the heart on the coarse layers only, then **repaint** the object's region by text with paint by word
(Bau et al., 2021; notebook 05): `repainted(G, mask, text, ...)` searches new styles for the region only (CMA-ES,
Hansen, 2016, scored by the masked `shapes-clip` score) and keeps the rest of the image by a consistency term outside
the mask. The mask is the moved object as the probe segments it, grown by two pixels. `space="w+"` searches the
region's new styles with one style per layer, as the image itself has (for an image in W or W+ the default is one
style, W). The search budget is small (20 generations of 12), and `perceptual="probe"` picks the offline
probe-feature distance for the consistency term instead of LPIPS (Zhang et al., 2018), so the result does not depend
on whether LPIPS weights happen to be cached. Two texts: one that asks for a new colour only, one that asks for
another shape too.
""")
code("""
moved = found.moved(G, x_direction, 2.0, layers="coarse")
before = moved.render(G)
mask = object_mask(before, grow=2)[0]  # [64, 64] in {0, 1}
painted = {text: moved.repainted(G, mask, text, space="w+", generations=20, population=12, seed=0, perceptual="probe")
           for text in ("a blue heart", "a blue star")}
""")
code("""
images = [mine, found.render(G), before] + [p.render(G) for p in painted.values()]
show(torch.cat(images), nrow=5, labels=["mine", "W+", "moved (coarse, +2)", "'a blue heart'", "'a blue star'"],
     title="moving, then repainting the object's region")
paint = {}
for text, p in painted.items():
    step = p.steps[-1]
    (shape, x, y), hue = reading(p.render(G))[0], float(probe.read(p.render(G)).hue[0])
    paint[text] = dict(before=step["scores"]["inside_before"], after=step["scores"]["inside_after"],
                       outside=step["outside_change"]["l2"], shape=shape, colour=nearest_colour(torch.tensor([hue]))[0])
    print(f"{text!r}: masked CLIP score {paint[text]['before']:.2f} -> {paint[text]['after']:.2f}, "
          f"outside L2 change {paint[text]['outside']:.5f}; probe reads a {shape}, hue {hue:.2f} ({paint[text]['colour']})")
heart, star = paint["a blue heart"], paint["a blue star"]
""")
nb.finding("""
"A blue heart" raises the masked score from **{heart["before"]:.2f}** to **{heart["after"]:.2f}**; the probe reads a
**{heart["shape"]}** with a **{heart["colour"]}** hue, and the L2 change outside the mask is only
**{heart["outside"]:.5f}**. "A blue star" raises it from **{star["before"]:.2f}** to **{star["after"]:.2f}**, and the
probe reads a **{star["shape"]}** with a **{star["colour"]}** hue{" — but look at the picture" if star["shape"] == "star" else ""}.
""")
md("""
In the last picture the search has drawn a blue sliver on a patch that does not match the background, with traces of
the purple heart at the edge of the mask: a new shape needs the region's styles to draw a whole new object that fits
the mask, and in 20 generations of 12 the search got no further than this. Scores are what the search optimises,
not a verdict: look at the result, and try more generations, another seed or a larger mask.

The edit saves to a folder: `edit.safetensors` (the vector, the painted regions and the steps, readable without
running any code from the file) and, given the generator, `edited.png`. Loading it back and rendering reproduces
the image; the steps say how it was made.
""")
code("""
edit = painted["a blue heart"]
edit.save(folder / "my-edit", G)
again = EditedImage.load(folder / "my-edit")
print("files:", sorted(p.name for p in (folder / "my-edit").iterdir()))
print("largest pixel difference after loading:", float((again.render(G) - edit.render(G)).abs().max()))
print("steps:", " → ".join(s["op"] + (f" ({s['space']})" if s["op"] == "invert" else f" ({s.get('layers') or s.get('text')})")
                           for s in again.steps))
""")

# --------------------------------------------------------------------------------------------------- 5. next
md("""
## 5. Where to go next

* **Your own picture.** Replace the rendered image with `load_image("your.png", size=G.resolution)`; a path, the bytes
  of an upload, a PIL image or an array all work. On `shapes-stylegan` only Shapes-like pictures make sense; with a
  face generator (the switch at the top) a face photo does.
* **The editor widget.** `from latentlab.widgets import ImageEditor` puts these steps behind buttons: upload or draw
  an image, invert it with live progress, move sliders of directions, paint a region with a text, save.
* **The command line.** The same two steps without Python:
  `latentlab invert IMAGE --model shapes-stylegan --space w+ --out DIR` writes the inversion to `DIR`, and
  `latentlab edit DIR --direction sefa:0 --amount 1.5` moves it along the first SeFa direction (Shen and Zhou,
  2021; `--layers coarse` for a layer range, `--paint-rect LEFT TOP RIGHT BOTTOM --text "a blue star"` to repaint).
* **Longer searches.** 200 steps and 20 generations keep this notebook short; `steps=` and `generations=` buy
  closer reconstructions and better repaints (exercise 1 measures how much).
""")
code("""
if USE_PRETRAINED:  # StyleGAN2 FFHQ 1024: your photo in W+, moved along the first SeFa direction on the coarse layers
    from latentlab.methods.sefa import style_sefa_directions
    from latentlab.zoo.stylegan2_checkpoints import load_stylegan2

    device = "cuda" if torch.cuda.is_available() else "cpu"
    ffhq = load_stylegan2("stylegan2-ffhq-1024", device=device)
    photo = load_image(MY_PHOTO, size=ffhq.resolution)
    face = invert(ffhq, photo, space="w+", steps=500, seed=0, progress=True)
    print(f"PSNR {face.psnr()[0]:.1f} dB")
    frames = EditedImage.from_inversion(face).walk(ffhq, style_sefa_directions(ffhq, k=1)[0], [-3.0, 0.0, 3.0],
                                                   layers="coarse")
    show(torch.cat([photo, frames.cpu()]), nrow=4, labels=["photo", "sefa0 −3", "0", "+3"],
         scale=192 / ffhq.resolution)  # each 1024 px face at 192 px
""")

md("## Exercises")
nb.exercise(
    "what more steps buy",
    """Invert the two pictures again in W and in W+ with 25, 50 and 100 steps, and plot the PSNR on *my picture*
against the number of steps for both spaces (add the 200-step results of section 2). Does W catch up with W+ if you
give it more steps?""",
    """Invert `targets`, the same batch as in section 2, with the same seed, so that only the budget differs:
`invert(G, targets, space=..., steps=n, loss="mse", seed=0).psnr()[0]`. The projector ramps its learning rate over
the whole budget, so a 50-step run is not the first quarter of a 200-step run. A log scale on the x axis
(`ax.set_xscale("log")`) spaces 25 … 200 evenly.""",
    """
budgets = [25, 50, 100]
curve = {space: [float(invert(G, targets, space=space, steps=n, loss="mse", seed=0, progress=True).psnr()[0]) for n in budgets]
         + [float(psnr[space][0])] for space in ("w", "w+")}
fig, ax = plt.subplots(figsize=(4.5, 3), dpi=100)
for space, values in curve.items():
    ax.plot(budgets + [200], values, "o-", label=space.upper())
ax.set(xscale="log", xticks=budgets + [200], xticklabels=[str(n) for n in budgets + [200]],
       xlabel="inversion steps", ylabel="PSNR on my picture (dB)", title="reconstruction against step budget")
ax.minorticks_off(); ax.legend(); plt.show()
gain = {space: values[-1] - values[-2] for space, values in curve.items()}
print(f"from 100 to 200 steps: W gains {gain['w']:+.1f} dB, W+ {gain['w+']:+.1f} dB; "
      f"at 200 steps W+ leads by {curve['w+'][-1] - curve['w'][-1]:.1f} dB")
ahead = [n for n, w_psnr, wplus_psnr in zip(budgets + [200], curve["w"], curve["w+"]) if w_psnr > wplus_psnr]
print(f"W is ahead at {ahead} steps: W+ spends the first half of its budget searching a single w" if ahead
      else "W+ is ahead at every budget")
""")
nb.exercise(
    "invert a drawing of your own and move it on the coarse layers",
    """Draw a picture yourself — with Pillow's `ImageDraw`, say an orange disc on a grey-blue background near the left
edge — save it, load it with `load_image`, invert it in W+ and move it along `x_direction` restricted to the
**coarse** layers (amounts −2, 0, +2). Show the drawing, its reconstruction and the three moved images, and let the
probe read x and the class of each. Does the object move while keeping its shape and colour?""",
    """`PIL.Image.new("RGB", (64, 64), (90, 100, 120))`, then `ImageDraw.Draw(img).ellipse((6, 20, 30, 44),
fill=(240, 140, 30))`. `EditedImage.from_inversion(result).walk(G, x_direction, amounts, layers="coarse")`
returns the moved images.""",
    """
from PIL import Image, ImageDraw

BACKGROUND = (90, 100, 120)
drawing = Image.new("RGB", (64, 64), BACKGROUND)
ImageDraw.Draw(drawing).ellipse((6, 20, 30, 44), fill=(240, 140, 30))
drawing.save(folder / "drawing.png")
target = load_image(folder / "drawing.png", size=G.resolution)
ground = torch.tensor(BACKGROUND).float().div(255).reshape(1, 3, 1, 1)  # for naming the object's colour
drawn = invert(G, target, space="w+", steps=150, loss="mse", seed=0, progress=True)
walked = EditedImage.from_inversion(drawn).walk(G, x_direction, [-2.0, 0.0, 2.0], layers="coarse")
r = probe.read(walked)
labels = [f"{t:+g}: {G.class_names[int(c)]}, x {float(x):.2f}" for t, c, x in zip((-2, 0, 2), r.shape, r.x)]
show(torch.cat([target, drawn.images.cpu(), walked.cpu()]), nrow=5,
     labels=["my drawing", f"W+ ({drawn.psnr()[0]:.1f} dB)"] + labels, title="a drawing, inverted and moved on the coarse layers")
print(f"probe x: {' → '.join(f'{float(x):.2f}' for x in r.x)} (Δx {float(r.x[-1] - r.x[0]):+.2f}); "
      f"classes {[G.class_names[int(c)] for c in r.shape]}; colours {[colour_name(c) for c in object_colour(walked.cpu(), ground)]}")
""")
nb.references("plumerault2023", "abdal2019", "karras2019", "karras2020", "karras2020ada", "tov2021",
              "shen2020", "bau2021", "hansen2016", "zhang2018", "shen2021")
nb.write()
