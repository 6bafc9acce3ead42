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

Seed 000 ch. 4: point at a region of a generated image, type a few words, and let the search change **only that
region** toward them. Three ideas make it work:

1. **A masked semantic loss** (eq. 4.8): CLIP scores only x ⊙ m, the painted region.
2. **A spatially split generator** (eq. 4.7): the generator G = h(f(z)) is cut after its first block; the feature map
   keeps the original latent's values outside the mask and takes a *new* latent's values inside it:
   G_{{z,m}}(z') = h(f(z) ⊙ (1 − m) + f(z') ⊙ m). For BigGAN-style generators latentlab also splits the later blocks'
   conditioning the same way, as the seed does for StyleGAN's styles.
3. **An image-consistency loss** (eqs. 4.9–4.10): λ · (L2 + perceptual distance) between the image outside the mask
   before and after the edit; CMA-ES searches z' (§4.3.3: it avoids the adversarial images gradients find).

Everything here runs on a CPU with the embedded `shapes-biggan`, `shapes-clip` and `shapes-probe`.
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to paint on BigGAN-deep 128 with OpenAI's CLIP ViT-B/32
# (downloads into the cache: 211 MB + 605 MB). With False nothing is downloaded and everything runs on a CPU.
USE_PRETRAINED = False
""")
code("""
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from latentlab import load_generator
from latentlab.assessors import object_mask
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
    original = G(z, torch.tensor([y], device=G.device))
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
fig, axes = plt.subplots(1, 2, figsize=(4.6, 2.4))
axes[0].imshow(original[0].permute(1, 2, 0).cpu()); axes[0].set_title("original")
axes[1].imshow(mask, cmap="gray"); axes[1].set_title("mask")
for ax in axes: ax.axis("off")
plt.show()
""")
md("""
## 2. Recolour the object

`paint_by_word` returns the edited image, the region's new latents, the masked CLIP score before and after, and how
much changed outside the mask (mean squared pixel difference and a perceptual distance: LPIPS when its weights are
cached, otherwise the offline `shapes-probe` feature distance).
""")
code("""
text = "a blue star" if not USE_PRETRAINED else "a red bird"
edit = paint_by_word(G, z, mask, text, classes=y, clip=CLIP, generations=15, population=12, seed=0, progress=False)
edit.plot(); plt.show()
print(f"masked CLIP score {edit.scores['inside_before']:.2f} -> {edit.scores['inside_after']:.2f}")
print(f"outside the mask: L2 change {edit.outside_change['l2']:.4f}")
""")
md("""
## 3. Why split the generator? (seed 000 Fig. 4-2)

The same masked loss on the *unsplit* generator has to move the whole latent: the region changes, and so does the
rest of the image, because one latent drives every pixel. The consistency term fights that but cannot prevent it.
One edit is an anecdote; `python -m benchmarks.paint` repeats this comparison over 50 edits (recolouring, background,
class changes) and reports the mean change outside the mask for both.
""")
code("""
unsplit = paint_by_word(G, z, mask, text, classes=y, clip=CLIP, split=False, generations=15, population=12, seed=0,
                        progress=False)
fig, axes = plt.subplots(1, 3, figsize=(7, 2.6))
for ax, (picture, title) in zip(axes, [(edit.before, "original"), (edit.image, "split"), (unsplit.image, "unsplit")]):
    ax.imshow(picture.permute(1, 2, 0).clamp(0, 1)); ax.set_title(title); ax.axis("off")
plt.show()
print(f"masked score gain: split {edit.inside_gain:+.2f}, unsplit {unsplit.inside_gain:+.2f}")
print(f"outside L2 change: split {edit.outside_change['l2']:.4f}, unsplit {unsplit.outside_change['l2']:.4f}")
""")
md("""
## 4. Edits build on each other

`edit.edits` holds the accepted region edits; pass them on and the next edit starts from the edited image. Here the
background to the left of the object turns another colour while the recoloured object stays.
""")
code("""
left = rect_mask(G.resolution, 0, 0, G.resolution // 4, G.resolution)
second = paint_by_word(G, z, left, "on a green background" if not USE_PRETRAINED else "green grass", classes=y, clip=CLIP,
                       edits=edit.edits, generations=15, population=12, seed=1, progress=False)
second.plot(); plt.show()
print(f"edits so far: {[e.text for e in second.edits]}")
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

nb.write()
