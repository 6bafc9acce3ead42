"""Build notebooks/02_assessors.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb02.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/02_assessors.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("02_assessors")
md, code = nb.md, nb.code

md(f"""
{nb.badge}

# 02 · Assessors: scoring images with CLIP, properties and the probe

An **assessor** turns a batch of images (`[N, 3, H, W]`, values in [0, 1]) into one score per image — higher means
*more* of something. Assessors are the other half of every latentlab method: the fitness of an evolutionary search
(Komorowski and Domagała, 2021), the "Assessor" of GANalyze (Goetschalckx et al., 2019), the semantic loss of Paint by
Word (Bau et al., 2021).

This notebook shows the three families that ship with latentlab, all offline:

* **`CLIPAssessor`** — cosine similarity between an image and a text prompt under a CLIP model (Radford et al., 2021).
  By default that is **`shapes-clip`**, a small CLIP that latentlab defines as an open_clip model config (Ilharco et
  al., 2021) and trains on the Shapes world with the contrastive loss; any open_clip model such as `ViT-B-32/openai`
  works the same way when its weights can be downloaded — the next cell switches to it;
* **property assessors** computed from pixels (brightness, colourfulness, object size, …);
* **probe assessors** read by `shapes-probe`, a small network trained to read the Shapes world's factors back
  (class probability, x, y, scale, closeness to a hue).

Why three kinds? CLIP understands *words*, so it can judge anything we can say — but it is a learned, imperfect
judge. Pixel properties are exact but only measure simple things. The probe sits in between: it reads the world's
own factors, which makes it a good referee for checking the other two.
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to score with OpenAI's CLIP ViT-B/32 (a 605 MB download into the
# cache) instead of the embedded shapes-clip, and to rank BigGAN-deep 128 samples (211 MB) in section 6. The test
# images stay renders of the Shapes world, so you can compare what the two CLIPs read in them.
# With False nothing is downloaded and everything runs on a CPU.
USE_PRETRAINED = False
""")
code("""
import math

import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display

from latentlab import load_generator, render_shapes, show_grid as show
from latentlab.assessors import (Assessor, Brightness, Centeredness, ClassProbability, HueCloseness, ObjectSize,
                                 ProbeFactor, Redness, read_probe)
from latentlab.assessors.base import apply_region
from latentlab.assessors.clip import CLIPAssessor
from latentlab.data import COLOURS, nearest_colour

torch.set_num_threads(2)
if USE_PRETRAINED:
    from latentlab import load_clip
    device = "cuda" if torch.cuda.is_available() else "cpu"
    CLIP = load_clip("ViT-B-32/openai", device=device)   # loaded once, shared by every CLIPAssessor below
else:
    CLIP = "shapes-clip"   # embedded; every CLIPAssessor loads it from the package
""")
code("""
batch = render_shapes(8, seed=7)
show(batch.images, labels=[str(i) for i in range(8)], title="eight renders of the Shapes world (numbered)")
for i, caption in enumerate(batch.captions):
    print(f"{i}: {caption}")
""")
md("""
## 1. What each assessor sees
Every assessor is called the same way, `assessor(images) -> scores[N]`, and carries a readable `name` and `unit`.
Below, one row per assessor and one column per image above (rounded to two decimals).
""")
code("""
assessors = [
    CLIPAssessor("a red star", model=CLIP), CLIPAssessor("a blue object", model=CLIP), Brightness(), Redness(), ObjectSize(),
    ClassProbability("star"), ProbeFactor("x"), HueCloseness("red"),
]
table = {}
print(f"{'assessor':42s} {'unit':22s}", " ".join(f"{i:>5d}" for i in range(8)))
with torch.no_grad():
    for a in assessors:
        table[a.name] = scores = a(batch.images)
        print(f"{a.name[:42]:42s} {a.unit[:22]:22s}", " ".join(f"{s:5.2f}" for s in scores.tolist()))
""")
code("""
red_star = table[assessors[0].name]
best = int(red_star.argmax())
has_red_star = any(s == "star" and c == "red" for s, c in zip(batch.factors.shape_names, nearest_colour(batch.factors.hue)))
best_p_star, best_red = float(table["p(star)"][best]), float(table["hue ≈ red"][best])
best_is = ("a star" if best_p_star > 0.5 else "not a star") + (" and red" if best_red > 0.5 else ", and not red")
""")
nb.finding("""
Read the rows as different questions about the same eight images. The CLIP prompt "a red star" scores highest on
image **{best}** ({batch.captions[best]!r}, score **{red_star[best]:.2f}**): the probe reads it as {best_is}
(p(star) **{best_p_star:.2f}**, red-hue closeness **{best_red:.2f}**). {"There is no red star among the eight, so the best image is the one that matches *part* of the prompt. " if not has_red_star else ""}A CLIP
score is a similarity, not a yes/no answer, which is why methods compare CLIP scores within a population.
""")
md("""
### Do the assessors measure what they say?

The Shapes world knows the truth behind every render — the object's class, hue, position and size — so each
assessor can be checked against the factor it claims to track. For continuous factors the check is the **Spearman
rank correlation** ρ (1: the assessor orders the images exactly as the factor does); for yes/no factors it is the
**AUC** (the chance that a random positive image scores above a random negative one; one half is guessing).
""")
code("""
def spearman(a, b):
    \"\"\"Rank correlation of two score vectors.\"\"\"
    ra, rb = a.argsort().argsort().float(), b.argsort().argsort().float()
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float((ra * rb).sum() / (ra.norm() * rb.norm()))


def auc(scores, positive):
    \"\"\"How often a positive image outscores a negative one.\"\"\"
    return float((scores[positive][:, None] > scores[~positive][None, :]).float().mean())


check = render_shapes(128, seed=11)
f = check.factors
is_red = torch.tensor([c == "red" for c in nearest_colour(f.hue)])
is_star = f.shape == 3
with torch.no_grad():
    agreement = {
        ("object size", "true object area", "ρ"): spearman(ObjectSize()(check.images), check.masks.mean(dim=(1, 2, 3))),
        ("probe x", "true x", "ρ"): spearman(ProbeFactor("x")(check.images), f.x),
        ("centeredness", "true distance from the centre (negated)", "ρ"):
            spearman(Centeredness()(check.images), -torch.hypot(f.x - 0.5, f.y - 0.5)),
        ("hue ≈ red", "cosine of the true hue angle", "ρ"): spearman(HueCloseness("red")(check.images), torch.cos(2 * math.pi * f.hue)),
        ("brightness", "true background brightness", "ρ"): spearman(Brightness()(check.images), f.bg_brightness),
        ("p(star)", "is a star", "AUC"): auc(ClassProbability("star")(check.images), is_star),
        ("CLIP 'a star'", "is a star", "AUC"): auc(CLIPAssessor("a star", model=CLIP)(check.images), is_star),
        ("CLIP 'a red object'", "is red", "AUC"): auc(CLIPAssessor("a red object", model=CLIP)(check.images), is_red),
        ("CLIP 'a large object'", "true object area", "ρ"):
            spearman(CLIPAssessor("a large object", model=CLIP)(check.images), check.masks.mean(dim=(1, 2, 3))),
    }
for (name, truth, measure), value in agreement.items():
    print(f"{name:22s} vs {truth:40s} {measure:3s} {value:5.2f}")
""")
code("""
measured = {name: value for (name, _, _), value in agreement.items()}
weakest = min(measured, key=measured.get)
pixel_and_probe = [v for (name, _, _), v in agreement.items() if not name.startswith("CLIP")]
clip_values = [v for (name, _, _), v in agreement.items() if name.startswith("CLIP")]
""")
nb.finding("""
On these {len(check.images)} renders the property and probe assessors track their factors with ρ or AUC between
**{min(pixel_and_probe):.2f}** and **{max(pixel_and_probe):.2f}**; the CLIP prompts reach **{min(clip_values):.2f}** to
**{max(clip_values):.2f}**. The weakest row is *{weakest}* (**{measured[weakest]:.2f}**).
{"Brightness is the loosest of the non-CLIP rows because it measures the whole image, object included, while the factor describes only the background." if min(pixel_and_probe) == measured["brightness"] else ""}
A property or probe assessor is a cheap, reliable referee; a CLIP prompt is flexible but should be checked like this
before a search is trusted to optimise it.
""")
md("""
## 2. Sorting a population by CLIP similarity
Komorowski and Domagała (2021, §$4.1$) use CLIP similarity as the fitness of a genetic algorithm. Its values are not
probabilities: what matters is the **order** they put a population in. We render 24 images, score them against a
prompt and show them sorted, best first.
""")
code("""
pop = render_shapes(24, seed=21)
population = pop.images
prompt = CLIPAssessor("a green square", model=CLIP, templates="shapes")   # a small prompt ensemble: "{}", "a picture of {}", ...
with torch.no_grad():
    scores = prompt(population)
order = scores.argsort(descending=True)
show(population[order], nrow=8, labels=[f"{s:.2f}" for s in scores[order].tolist()],
     title="sorted by similarity to 'a green square' (best first)")
top = [(pop.factors.shape_names[i], nearest_colour(pop.factors.hue[i:i + 1])[0]) for i in order[:3].tolist()]
""")
nb.finding("""
Here the 24 similarities span only **{scores.min():.2f}** to **{scores.max():.2f}**, a narrow band for a cosine that
could run from −1 to 1. The top three are a {top[0][1]} {top[0][0]}, a {top[1][1]} {top[1][0]} and a {top[2][1]} {top[2][0]}:
the order is what a search uses.
""")
md("""
A prompt can also push away from things with **negative prompts**: the score becomes
$\\cos(\\text{image}, \\text{prompt}) - w \\cdot \\text{mean} \\cos(\\text{image}, \\text{negatives})$. Here "a square" with
"a green object" as a negative should prefer squares of other colours.
""")
code("""
contrast = CLIPAssessor("a square", model=CLIP, negatives=["a green object"])
with torch.no_grad():
    scores = contrast(population)
order = scores.argsort(descending=True)
shapes_in_order = [pop.factors.shape_names[i] for i in order.tolist()]
colours_in_order = nearest_colour(pop.factors.hue[order])
show(population[order[:8]], nrow=8, labels=[f"{s:.2f}" for s in scores[order[:8]].tolist()],
     title="'a square' minus 'a green object' (best eight)")
squares = [rank for rank, s in enumerate(shapes_in_order) if s == "square"]
green_square = [rank for rank in squares if colours_in_order[rank] == "green"]
green_in_top8 = sum(c == "green" for c in colours_in_order[:8])
""")
nb.finding("""
The population holds **{len(squares)}** squares. Ranked by the contrast, they sit at places
{", ".join(f"{r + 1} ({colours_in_order[r]})" for r in squares)}, and **{green_in_top8}** of the best eight images are
green. {"The negative did its job: the squares of other colours come first and the green square falls behind them." if green_square and all(r < green_square[0] for r in squares if r not in green_square) else "The negative did not fully work here: a green square still beats some squares of other colours."}
""")
md("""
## 3. Masked scoring
With a mask, a CLIP assessor scores only a region (Andonian, 2021, eq. $4.2$): `x ⊙ m` (everything outside the mask
is black) or, with `mask_mode="crop"`, the mask's bounding box resized to the model's input. This is what Paint by
Word uses to ask "is there a blue star *here*?". We build a mask over the object of one image and one over an empty
corner, and look at what CLIP is shown in each case.
""")
code("""
scene = render_shapes(1, seed=5, shape="star", hue="blue", scale=0.4, x=0.3, y=0.3)
image = scene.images
on_object = torch.zeros(64, 64); on_object[4:36, 4:36] = 1
elsewhere = torch.zeros(64, 64); elsewhere[36:64, 36:64] = 1
views = torch.cat([image] + [apply_region(image, m, mode) for m in (on_object, elsewhere) for mode in ("multiply", "crop")])
show(views, nrow=5, labels=["whole", "object x⊙m", "object crop", "corner x⊙m", "corner crop"],
     title="what CLIP is shown: the whole image, then each region multiplied or cropped")
masked = {}
with torch.no_grad():
    for text in ["a blue star", "a red star", "a blue heart"]:
        row = [CLIPAssessor(text, model=CLIP)(image).item()]
        row += [CLIPAssessor(text, model=CLIP, mask=m, mask_mode=mode)(image).item()
                for m in (on_object, elsewhere) for mode in ("multiply", "crop")]
        masked[text] = row
        print(f"{text:14s} whole {row[0]:5.2f} | on object: x⊙m {row[1]:5.2f}, crop {row[2]:5.2f} | "
              f"corner: x⊙m {row[3]:5.2f}, crop {row[4]:5.2f}")
""")
code("""
right = masked["a blue star"]
margin = {where: round(right[k] - max(masked[t][k] for t in masked if t != "a blue star"), 2) + 0.0   # + 0.0: no "-0.00"
          for where, k in [("whole", 0), ("object x⊙m", 1), ("object crop", 2), ("corner x⊙m", 3), ("corner crop", 4)]}
""")
nb.finding("""
On the object, the right text "a blue star" scores **{right[1]:.2f}** (x⊙m) and **{right[2]:.2f}** (crop), against
**{right[0]:.2f}** for the whole image, and it beats the best wrong text by **{margin["object x⊙m"]:.2f}** and
**{margin["object crop"]:.2f}** (**{margin["whole"]:.2f}** on the whole image). On the empty corner it drops to
**{right[3]:.2f}** and **{right[4]:.2f}**, and its lead over the wrong texts shrinks to **{margin["corner x⊙m"]:.2f}**
and **{margin["corner crop"]:.2f}**: {"a region without the object gives CLIP little to tell the texts apart by" if max(margin["corner x⊙m"], margin["corner crop"]) < min(margin["object x⊙m"], margin["object crop"]) else "even the corner keeps some of the lead, so look at the region before trusting its score"}.
The masked score is therefore a question about the region, which is what Paint by Word needs.
""")
md("""
## 4. How well does the CLIP model read the world?
A small zero-shot test on 300 fresh renders, with framings ("a drawing of …", "a sketch showing …") that never
appear in `shapes-clip`'s training captions; for each task, CLIP chooses among the task's prompts (e.g. the five
shapes) and is right or wrong. The repository's benchmarks run the same test on 2,000 images. With
`USE_PRETRAINED = True` the test measures OpenAI's ViT-B/32, which has never seen the Shapes world at all.
""")
code("""
from latentlab.metrics.zero_shot import zero_shot_accuracy
accuracy = zero_shot_accuracy(CLIP, n=300, seed=3)
for task, value in accuracy.items():
    print(f"{task:12s} {value:.2f}")
hardest = min(accuracy, key=accuracy.get)
""")
nb.finding("""
Every task scores between **{min(accuracy.values()):.2f}** and **{max(accuracy.values()):.2f}**; the hardest is
*{hardest}* (**{accuracy[hardest]:.2f}**). {"Position and colour are the finer distinctions — a small model reads them from a few pixels' difference — so they are the first to slip." if hardest in ("x_position", "y_position", "color") else ""}
""")
md("""
## 5. Composing assessors
Assessors add, subtract and scale like numbers; the result is again an assessor. Here: "a red star" from CLIP,
plus the probe's belief that the object is a star, plus centredness (which is minus the distance from the centre, so
it penalises objects far from it). The probe reads 64-pixel Shapes-world images only, so with BigGAN-deep (Brock et
al., 2019) the combination uses a pixel property, colourfulness, instead.
""")
code("""
if USE_PRETRAINED:
    from latentlab.assessors import Colorfulness
    G = load_generator("biggan-deep-128", device=device)
    combo = CLIPAssessor("a red sports car", model=CLIP) + 0.002 * Colorfulness()   # colourfulness is roughly 0 to 100
else:
    G = load_generator("shapes-biggan")
    combo = CLIPAssessor("a red star", model=CLIP) + 0.5 * ClassProbability("star") + 0.5 * Centeredness()
print(combo.name)
with torch.no_grad():
    samples = G.generate(16, seed=3)
    scores = combo(samples)
order = scores.argsort(descending=True)
show(samples[order], nrow=8, labels=[f"{s:.2f}" for s in scores[order].tolist()], title="16 generated images ranked by the combination")
""")
code("""
if not USE_PRETRAINED:
    with torch.no_grad():
        read = read_probe(samples[order])
    ranked_shapes = [G.class_names[i] for i in read.shape.tolist()]
    stars_top4 = sum(s == "star" for s in ranked_shapes[:4])
    stars_all = sum(s == "star" for s in ranked_shapes)
    distance = torch.hypot(read.x - 0.5, read.y - 0.5)
    summary = (f"The probe reads **{stars_all}** of the 16 samples as stars, and **{stars_top4}** of them are in the top four. "
               f"The top four sit on average **{distance[:4].mean():.2f}** of the image from the centre, the bottom four "
               f"**{distance[-4:].mean():.2f}**"
               + (": the centredness term is too weak at this weight to put central objects first." if distance[:4].mean() > distance[-4:].mean()
                  else ", so centredness shows in the ranking too."))
else:
    summary = "With BigGAN-deep, look at the ranking: red cars first, then the most colourful images."
""")
nb.finding("""
{summary} Each term pulls the order its own way; the weights decide how much each may.
""")
md("""
## 6. Distances between images
For Paint by Word's consistency loss and for inversion, latentlab has three distances: the **blurred MSE**
(Plumerault, 2023, eq. $4.5$), an offline perceptual distance in `shapes-probe`'s feature space, and LPIPS (Zhang et al.,
2018) when its backbone weights are available. A good distance for these jobs calls a slightly shifted copy *close*
and a different image *far*.
""")
code(r"""
from latentlab.assessors import blurred_mse, probe_feature_distance
a = render_shapes(1, seed=1, x=0.4).images
shifted = render_shapes(1, seed=1, x=0.45).images
other = render_shapes(1, seed=2).images
distances = {}
for label, b in [("shifted by 5% of the width", shifted), ("a different image", other)]:
    distances[label] = d = {"MSE": torch.mean((a - b) ** 2).item(), "blurred MSE": blurred_mse(a, b, sigma=2.0).item(),
                            "probe-feature": probe_feature_distance(a, b).item()}
    print(f"{label:28s} MSE {d['MSE']:.4f}  blurred MSE (σ=2) {d['blurred MSE']:.4f}  probe-feature {d['probe-feature']:.3f}")
ratio = {k: distances["a different image"][k] / distances["shifted by 5% of the width"][k] for k in distances["a different image"]}
""")
nb.finding("""
A different image is **{ratio["MSE"]:.0f}×** as far as the shifted copy under plain MSE, **{ratio["blurred MSE"]:.0f}×**
under blurred MSE and **{ratio["probe-feature"]:.0f}×** in the probe's features. {"Blurring forgives small shifts (the ratio grows)" if ratio["blurred MSE"] > ratio["MSE"] else "Blurring does not help here (the ratio shrinks)"}{", and the probe's features, which encode what is in the image rather than where each pixel is, separate the two cases most" if ratio["probe-feature"] == max(ratio.values()) else ""}.
""")
md("""
## Exercises
""")
nb.exercise(
    "an assessor for 'more centred'",
    """Write your own `Assessor` subclass `MoreCentred` whose score is minus the distance of the object's centre from
the image centre, using the probe's reading of x and y. Check it on 64 renders: its Spearman correlation with the
true (negated) distance, and with the built-in `Centeredness`.""",
    """Subclass `Assessor`, set `name` and `unit`, and implement `score(self, images)`. `read_probe(images)` returns a
reading with `.x` and `.y`; `torch.hypot` gives the distance. The true centre is in `render_shapes(...).factors`.""",
    """
class MoreCentred(Assessor):
    name, unit = "more centred", "-distance / image size"

    def score(self, images):
        reading = read_probe(images)
        return -torch.hypot(reading.x - 0.5, reading.y - 0.5)


renders = render_shapes(64, seed=4)
truth = -torch.hypot(renders.factors.x - 0.5, renders.factors.y - 0.5)
with torch.no_grad():
    mine = MoreCentred()(renders.images)
    builtin = Centeredness()(renders.images)
print(f"rho with the truth {spearman(mine, truth):.3f}, with Centeredness {spearman(mine, builtin):.3f}")
""")
nb.exercise(
    "compose a wish",
    """Compose one assessor for "a big red object in the top left" from property and probe assessors (no CLIP), rank
48 renders with it and show the best eight, labelled with their scores. Does the top of the ranking match the wish?
Then try the same wish as a single CLIP prompt and compare the top eight.""",
    """`ObjectSize()`, `HueCloseness("red")`, `ProbeFactor("x")` and `ProbeFactor("y")` are the parts; "top left"
means small x and small y, so subtract them. Weights matter: object size is a fraction of about `0.05` to `0.3`, the others run
over about 1 — measure each term's spread over the renders and weight by its inverse.""",
    """
from functools import reduce

renders = render_shapes(48, seed=9)
parts = {"big": ObjectSize(), "red": HueCloseness("red"), "left": -1.0 * ProbeFactor("x"), "top": -1.0 * ProbeFactor("y")}
with torch.no_grad():
    spread = {k: float(a(renders.images).std()) for k, a in parts.items()}
print("spread of each term over the renders:", {k: round(v, 3) for k, v in spread.items()})
# weight each term by 1 / its spread, so that no term wins only because its numbers are larger
wish = reduce(lambda x, y: x + y, [(1 / spread[k]) * a for k, a in parts.items()])
with torch.no_grad():
    by_parts = wish(renders.images)
    by_clip = CLIPAssessor("a big red object in the top left", model=CLIP)(renders.images)
f9 = renders.factors
print(f"{'':9s} {'area':>5s} {'red':>5s} {'x':>5s} {'y':>5s}   (mean over the images)")
for label, s in [("all 48", None), ("composed", by_parts), ("CLIP", by_clip)]:
    pick = torch.arange(48) if s is None else s.argsort(descending=True)[:8]
    red = torch.tensor([c == "red" for c in nearest_colour(f9.hue[pick])]).float().mean()
    print(f"{label:9s} {renders.masks[pick].mean():5.2f} {red:5.2f} {f9.x[pick].mean():5.2f} {f9.y[pick].mean():5.2f}")
    if s is not None:
        show(renders.images[pick], nrow=8, labels=[f"{v:.2f}" for v in s[pick].tolist()], title=f"best eight, {label}")
        plt.show()
print(f"the two rankings agree with rho = {spearman(by_parts, by_clip):.2f}")
""")
nb.exercise(
    "find the object with a masked CLIP score",
    """Masked scores can *localise*. Slide a 32 × 32 window over a 64 × 64 render of a blue star in 3 × 3 positions
(stride 16), score "a blue star" on each window with `mask_mode="crop"`, and show the scores as a heat map next to the
image. Does the best window contain the star?""",
    """Build each window with `torch.zeros(64, 64)` and set the block to 1; `CLIPAssessor(text, mask=window,
mask_mode="crop")` scores it. `plt.imshow` of a 3 × 3 tensor draws the heat map.""",
    """
target = render_shapes(1, seed=12, shape="star", hue="blue", scale=0.35, x=0.7, y=0.25)
heat = torch.zeros(3, 3)
with torch.no_grad():
    for r in range(3):
        for c in range(3):
            window = torch.zeros(64, 64); window[16 * r:16 * r + 32, 16 * c:16 * c + 32] = 1
            heat[r, c] = CLIPAssessor("a blue star", model=CLIP, mask=window, mask_mode="crop")(target.images).item()
fig, (left, right) = plt.subplots(1, 2, figsize=(7, 3), dpi=100)
left.imshow(target.images[0].permute(1, 2, 0)); left.set_title("the render"); left.axis("off")
im = right.imshow(heat, cmap="viridis"); right.set_title("'a blue star' per window")
right.set_xticks(range(3)); right.set_yticks(range(3))
right.set_xlabel("window column"); right.set_ylabel("window row"); fig.colorbar(im, ax=right, label="cosine")
fig.tight_layout(); plt.show()
r, c = divmod(int(heat.argmax()), 3)
print(f"best window: row {r}, column {c}; the star's centre is at x {target.factors.x.item():.2f}, y {target.factors.y.item():.2f}")
""")
nb.references("radford2021", "ilharco2021", "komorowski2021", "goetschalckx2019", "bau2021", "andonian2021", "brock2019",
              "plumerault2023", "zhang2018")

nb.write()
