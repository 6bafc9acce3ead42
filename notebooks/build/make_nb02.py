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
*more* of something. Assessors are the other half of every latentlab method: the fitness of an evolutionary search,
the "Assessor" of GANalyze, the semantic loss of Paint by Word.

This notebook shows the three families that ship with latentlab, all offline:

* **`CLIPAssessor`** — cosine similarity between an image and a text prompt under **`shapes-clip`**, a small CLIP that
  latentlab defines as an open_clip model config and trains on the Shapes world with open_clip's contrastive loss
  (any open_clip model such as `ViT-B-32/openai` works the same way when its weights can be downloaded — the next
  cell switches to it);
* **property assessors** computed from pixels (brightness, colourfulness, object size, …);
* **probe assessors** read by `shapes-probe` (class probability, x, y, scale, closeness to a hue).
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to score with OpenAI's CLIP ViT-B/32 (a 605 MB download into the
# cache) instead of the embedded shapes-clip, and to rank BigGAN-deep 128 samples (211 MB) in section 5. The test
# images stay renders of the Shapes world, so you can compare what the two CLIPs read in them.
# With False nothing is downloaded and everything runs on a CPU.
USE_PRETRAINED = False
""")
code("""
import torch
from latentlab import load_generator, render_shapes, show_grid as show
from latentlab.assessors import Brightness, ClassProbability, HueCloseness, ObjectSize, ProbeFactor, Redness
from latentlab.assessors.clip import CLIPAssessor, similarity_matrix

torch.set_num_threads(2)
if USE_PRETRAINED:
    from latentlab import load_clip
    device = "cuda" if torch.cuda.is_available() else "cpu"
    CLIP = load_clip("ViT-B-32/openai", device=device)   # loaded once, shared by every CLIPAssessor below
else:
    CLIP = "shapes-clip"   # embedded; every CLIPAssessor loads it from the package


batch = render_shapes(8, seed=7)
show(batch.images, title="eight renders of the Shapes world")
print("\\n".join(batch.captions))
""")
md("""
## 1. What each assessor sees
Every assessor is called the same way, `assessor(images) -> scores[N]`, and carries a readable `name` and `unit`.
Below, one row per assessor for the eight images above (rounded to two decimals).
""")
code("""
assessors = [
    CLIPAssessor("a red star", model=CLIP), CLIPAssessor("a blue object", model=CLIP), Brightness(), Redness(), ObjectSize(),
    ClassProbability("star"), ProbeFactor("x"), HueCloseness("red"),
]
with torch.no_grad():
    for a in assessors:
        scores = a(batch.images)
        print(f"{a.name[:42]:42s} {a.unit[:22]:22s}", " ".join(f"{s:5.2f}" for s in scores.tolist()))
""")
md("""
## 2. Sorting a population by CLIP similarity (seed 001 §4.1)
CLIP similarities live in a narrow band (here roughly −0.3 to 0.7): what matters is the **order** they put a population in.
We render 24 images, score them against a prompt and show them sorted, best first.
""")
code("""
population = render_shapes(24, seed=21).images
prompt = CLIPAssessor("a green square", model=CLIP, templates="shapes")   # a small prompt ensemble: "{}", "a picture of {}", ...
with torch.no_grad():
    scores = prompt(population)
order = scores.argsort(descending=True)
show(population[order], nrow=8, labels=[f"{s:.2f}" for s in scores[order].tolist()],
     title="sorted by similarity to 'a green square' (best first)")
""")
md("""
A prompt can also push away from things with **negative prompts**: the score becomes
cos(image, prompt) − w · mean cos(image, negatives). Here "a square" with "a green object" as a negative prefers squares of other colours.
""")
code("""
contrast = CLIPAssessor("a square", model=CLIP, negatives=["a green object"])
with torch.no_grad():
    scores = contrast(population)
order = scores.argsort(descending=True)[:8]
show(population[order], nrow=8, labels=[f"{s:.2f}" for s in scores[order].tolist()], title="'a square' minus 'a green object'")
""")
md("""
## 3. Masked scoring (seed 000 eq. 4.2)
With a mask, a CLIP assessor scores only a region: `x ⊙ m` (everything outside the mask is black) or, with
`mask_mode="crop"`, the mask's bounding box resized to the model's input. This is what Paint by Word uses to ask
"is there a blue star *here*?". We build a mask over the object of one image and one over an empty corner.
""")
code("""
scene = render_shapes(1, seed=5, shape="star", hue="blue", scale=0.4, x=0.3, y=0.3)
image = scene.images
on_object = torch.zeros(64, 64); on_object[4:36, 4:36] = 1
elsewhere = torch.zeros(64, 64); elsewhere[36:64, 36:64] = 1
views = torch.cat([image, image * on_object, image * elsewhere])
show(views, nrow=3, scale=1.5, title="the image, the region on the object, a region elsewhere")
with torch.no_grad():
    for text in ["a blue star", "a red star", "a blue heart"]:
        row = [CLIPAssessor(text, model=CLIP)(image).item()]
        row += [CLIPAssessor(text, model=CLIP, mask=m, mask_mode=mode)(image).item()
                for m in (on_object, elsewhere) for mode in ("multiply", "crop")]
        print(f"{text:14s} whole {row[0]:.2f} | on object: x⊙m {row[1]:.2f}, crop {row[2]:.2f} | elsewhere: x⊙m {row[3]:.2f}, crop {row[4]:.2f}")
""")
md("""
## 4. How well does the CLIP model read the world?
A small zero-shot test on 300 fresh renders, with a framing ("a drawing of …") that never appears in `shapes-clip`'s
training captions. `python -m benchmarks.assessors` runs the full version on 2,000 images. With `USE_PRETRAINED = True`
the same test measures OpenAI's ViT-B/32, which has never seen the Shapes world at all.
""")
code("""
from latentlab.metrics.zero_shot import zero_shot_accuracy
accuracy = zero_shot_accuracy(CLIP, n=300, seed=3)
for task, value in accuracy.items():
    print(f"{task:12s} {value:.2f}")
""")
md("""
## 5. Composing assessors
Assessors add, subtract and scale like numbers; the result is again an assessor. Here: "a red star" from CLIP,
plus the probe's belief that the object is a star, minus a penalty for objects far from the centre. The probe reads
64-pixel Shapes-world images only, so with BigGAN-deep the combination uses a pixel property, colourfulness, instead.
""")
code("""
from latentlab.assessors import Centeredness
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
md("""
## 6. Distances between images
For Paint by Word's consistency loss and for inversion, latentlab has three distances: the **blurred MSE** of seed 002 (eq. 4.5),
an offline perceptual distance in `shapes-probe`'s feature space, and LPIPS (when its backbone weights are available).
""")
code("""
from latentlab.assessors import blurred_mse, probe_feature_distance
a = render_shapes(1, seed=1, x=0.4).images
shifted = render_shapes(1, seed=1, x=0.45).images
other = render_shapes(1, seed=2).images
for label, b in [("shifted by 5% of the width", shifted), ("a different image", other)]:
    print(f"{label:28s} MSE {torch.mean((a - b) ** 2):.4f}  blurred MSE (σ=2) {blurred_mse(a, b, sigma=2.0).item():.4f}  "
          f"probe-feature {probe_feature_distance(a, b).item():.3f}")
""")

nb.write()
