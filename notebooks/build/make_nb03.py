"""Build notebooks/03_train_your_own_gan.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb03.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/03_train_your_own_gan.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("03_train_your_own_gan")
md, code = nb.md, nb.code

md(f"""
{nb.badge}

# 03 · Train your own GAN, and watch it collapse

A GAN (Goodfellow et al., 2014; see Ulusan, 2023, §3 for a primer) is two networks trained against each other. The
**generator** G turns a random latent z (and here a class y) into an image; the **discriminator** D scores images,
high for real ones and low for generated ones. Training alternates two steps: D learns to tell real from fake, then G
learns to raise D's score of its samples. Neither has a fixed target — each chases the other — which is why GAN
training needs care.

This notebook trains a small class-conditional BigGAN (Brock et al., 2019) on the Shapes world with latentlab's
training loop, `latentlab.training.gan.train_gan` — the loop the recipe of the embedded `shapes-biggan` calls too —
for a few dozen steps on a CPU, with live loss curves and sample grids. It plays the adversarial game alone, with the
four ingredients BigGAN relies on:

* the **hinge loss**,
* **spectral normalisation** of every weight in G and D (Miyato et al., 2018),
* an **exponential moving average (EMA)** of G's weights, which is the generator we sample from,
* **gradient accumulation**, to reach a large effective batch on small hardware.

It watches the quantity BigGAN's authors monitor for instability, the top singular value σ₀ of every weight, and then
shows the most common failure, **mode collapse**, on purpose. The last section shows how the shipped `shapes-biggan`
was really trained: mostly *not* by the adversarial game.
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to also sample BigGAN-deep 128 at the end (a 211 MB download):
# a GAN trained with the same ingredients at full scale. With False nothing is downloaded; everything runs on a CPU.
USE_PRETRAINED = False
""")
code("""
import tempfile

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import Image, Markdown, display

from latentlab import load_probe, show_grid as show
from latentlab.data import SHAPES, ShapesDataset, render, sample_factors
from latentlab.generators.compact_biggan import CompactBigGAN, CompactBigGANConfig
from latentlab.recipes import shapes_biggan
from latentlab.training.discriminator import ProjectionDiscriminator
from latentlab.training.gan import GANTrainConfig, train_gan
from latentlab.widgets import figure_to_png, new_figure
from latentlab.widgets.truncation import pixel_diversity

torch.set_num_threads(1)  # these networks are so small that splitting each operation over threads costs more than it saves
SIZE = 32  # 32×32 pixels keep a training step to a fraction of a second on a CPU

def real_batches(batch_size):
    \"\"\"The data stream train_gan expects: data(start) yields (images, class indices) from batch number start.\"\"\"
    def stream(start):
        dataset, index = ShapesDataset(batch_size=batch_size, seed=0, size=SIZE), start
        while True:
            batch = dataset.batch(index)
            yield batch.images, batch.factors.shape
            index += 1
    return stream


images, classes = next(real_batches(40)(0))
order = classes.argsort()
show(images[order], labels=[SHAPES[c] for c in classes[order]], title="real Shapes renders at 32 px, sorted by class")
""")
md("""
## 1. Two small networks
`CompactBigGAN` splits z into chunks: the first feeds a 4×4 stem, each up-sampling block gets its own chunk together
with a shared class embedding, which sets the gain and bias of its batch norms. `ProjectionDiscriminator` scores an
image as ψ(φ(x)) + ⟨embed(y), φ(x)⟩: a realism term plus how well the features match the class.

`spectral_norm=True` wraps every weight W as W / σ(W), where σ is its largest singular value, estimated by one step of
power iteration per forward pass. Each layer can then stretch its input by at most a factor of one, so D cannot become
arbitrarily steep and its gradients stay useful to G.
""")
code("""
def make_models(seed=0):
    torch.manual_seed(seed)
    G = CompactBigGAN(CompactBigGANConfig(class_names=SHAPES, latent_dim=32, embed_dim=16, channels=(64, 32, 16, 8),
                                          spectral_norm=True))
    D = ProjectionDiscriminator(len(SHAPES), channels=(16, 32, 64, 128))
    return G, D

G, D = make_models()
count = lambda m: sum(p.numel() for p in m.parameters())
print(f"G: {count(G):,} parameters, {G.resolution}x{G.resolution} images; D: {count(D):,} parameters")
""")
md("""
### The σ₀ monitor
Since every layer uses W / σ(W), the weights a layer *applies* have a largest singular value of one by construction:
printing it tells us nothing. What Brock et al. (2019, §4) monitor is σ₀, the top singular value of the weight
**before** normalisation — the tensor the optimiser actually updates. In their runs σ₀ grows throughout training and,
in G, explodes when training collapses. torch's spectral-norm parametrisation keeps that tensor as
`layer.parametrizations.weight.original`; σ₀ is its matrix 2-norm after flattening a convolution's kernel to a matrix
(one row per output channel). Both networks start from orthogonal weights, whose singular values are all one, so σ₀
starts at one.
""")
code("""
def spectral_layers(model):
    return [m for m in model.modules() if hasattr(m, "parametrizations")]

def sigma0(model):
    \"\"\"σ₀ of every spectrally normalised layer: the top singular value of its weight before normalisation.\"\"\"
    with torch.no_grad():
        return torch.stack([torch.linalg.matrix_norm(m.parametrizations.weight.original.flatten(1), ord=2)
                            for m in spectral_layers(model)])

def applied_sigma(model):
    \"\"\"The top singular value of the weights the layers apply, W / σ(W): one, up to the power-iteration estimate.\"\"\"
    with torch.no_grad():
        return torch.stack([torch.linalg.matrix_norm(m.weight.flatten(1), ord=2) for m in spectral_layers(model)])

print(f"{len(spectral_layers(G))} normalised layers in G, {len(spectral_layers(D))} in D")
print(f"at initialisation: σ₀ from {sigma0(G).min():.2f} to {sigma0(G).max():.2f} in G, "
      f"{sigma0(D).min():.2f} to {sigma0(D).max():.2f} in D")
""")
md("""
## 2. The hinge loss
D outputs an unbounded score. The hinge loss asks for a margin and then stops pushing:

* D minimises `relu(1 − D(real)) + relu(1 + D(fake))` — real scores above +1 and fake scores below −1 cost nothing;
* G minimises `−D(G(z, y))` — it simply raises D's score of its samples.

Once D is confidently right about an image it gets no more gradient from it, which keeps D from overshooting.
""")
code("""
s = torch.linspace(-3, 3, 200)
fig, ax = plt.subplots(figsize=(5, 2.8), dpi=100)
ax.plot(s, torch.relu(1 - s), label="D's loss on a real image")
ax.plot(s, torch.relu(1 + s), label="D's loss on a generated image")
ax.plot(s, -s, "--", label="G's loss on its image")
ax.set(xlabel="D's score", ylabel="loss", title="hinge loss: no gradient beyond the margin")
ax.legend(fontsize=8); plt.show()
""")
md("""
## 3. Training with live curves and samples
`GANTrainConfig` holds every setting. We keep its defaults for the learning rates — the **two time-scale update rule**
(Heusel et al., 2017): D learns twice as fast as G (`lr_d = 4e-4`, `lr_g = 2e-4`), Adam with `beta1 = 0` — and
shorten the rest:

* `batch_size=16, accumulate=2`: gradients of two batches of 16 are summed before each update, so every update sees an
  **effective batch of 32** while only 16 images are in memory at once (BigGAN's batches of 2,048 need the same trick);
* `ema_decay=0.9, ema_start=0`: the EMA copy is `0.9 · EMA + 0.1 · G` after every step, so it follows a run this
  short; it averages out the oscillation of the adversarial game, so samples come from it;
* `on_log=…` is called every `log_every` steps with the logged losses and the EMA generator: the live view below
  draws the losses, the *diversity within a class* (the mean pixel distance between samples of one class drawn from
  different latents), σ₀ of G's and D's layers, and a grid of samples.

The progress bar shows the steps and the latest losses.
""")
code("""
def within_class_diversity(images, classes):
    \"\"\"Mean pixel distance between images of the same class, averaged over the classes.\"\"\"
    return sum(pixel_diversity(images[classes == c]) for c in classes.unique()) / len(classes.unique())

def draw_live(log, samples, title):
    \"\"\"Losses, diversity, σ₀ and a sample grid (one class per row) as a figure.\"\"\"
    fig = new_figure(15, 3.4, dpi=100)
    a, b, s, c = fig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 1.1]})
    steps = [r["step"] for r in log]
    a.plot(steps, [r["loss_d"] for r in log], label="D (hinge)"); a.plot(steps, [r["loss_g"] for r in log], label="G")
    a.set(xlabel="step", ylabel="loss", title="losses"); a.legend(fontsize=8)
    b.plot(steps, [r["diversity"] for r in log], "o-", ms=3)
    b.set(xlabel="step", ylabel="mean pixel distance", title="diversity within a class", ylim=(0, 0.3))
    for net in ("G", "D"):
        line, = s.plot(steps, [r[f"sigma0_{net}"].max() for r in log], label=f"{net}: largest σ₀")
        s.plot(steps, [r[f"sigma0_{net}"].median() for r in log], "--", color=line.get_color(), label=f"{net}: median σ₀")
    s.set(xlabel="step", ylabel="σ₀ of W before normalisation", title="top singular values σ₀"); s.legend(fontsize=7)
    show(samples, nrow=6, ax=c, row_labels=SHAPES, title=f"EMA samples, step {steps[-1]}")
    fig.suptitle(title); fig.tight_layout()
    return fig

def live_view(title, G, D, per_class=6):
    \"\"\"An on_log callback that records diversity and σ₀ of G and D and redraws the live figure.\"\"\"
    z = torch.randn(per_class, 32, generator=torch.Generator().manual_seed(1)).repeat(len(SHAPES), 1)
    y = torch.arange(len(SHAPES)).repeat_interleave(per_class)
    log, handle = [], display(Image(data=b""), display_id=True)

    def on_log(record, ema):
        with torch.no_grad():
            samples = ema(z, y)
        log.append({**record, "diversity": within_class_diversity(samples, y), "sigma0_G": sigma0(G), "sigma0_D": sigma0(D)})
        handle.update(Image(data=figure_to_png(draw_live(log, samples, title))))

    on_log.log = log
    return on_log
""")
code("""
config = GANTrainConfig(steps=50, batch_size=16, accumulate=2, ema_decay=0.9, ema_start=0, log_every=5,
                        threads=1, mixed_precision="off", checkpoint_every=10_000, seed=0)
start = {"G": sigma0(G), "D": sigma0(D)}
healthy = live_view("two time-scale defaults: D learns faster than G", G, D)
ema = train_gan(G, D, real_batches(config.batch_size), config, tempfile.mkdtemp(), n_classes=len(SHAPES), on_log=healthy)
G_healthy = ema.shadow.eval()
""")
md("""
### What fifty steps buy
The samples above are coloured noise, not shapes yet. Two measurements say so without our eyes: `shapes-probe`, a
classifier trained on renders, is asked which shape it sees in each sample (chance is one in five, and as a control it
reads real renders at the same size), and the diversity within a class is compared with that of real renders.
""")
code("""
probe = load_probe()

def probe_accuracy(images, classes):
    \"\"\"How often shapes-probe (which reads 64 px images) sees the class an image was made for.\"\"\"
    with torch.no_grad():
        read = probe(F.interpolate(images, size=64, mode="bilinear", antialias=True), with_mask=False).shape
    return (read == classes).float().mean().item()

factors = sample_factors(200, seed=3)
real_images = render(factors, size=SIZE)[0]
z, y = torch.randn(200, 32, generator=torch.Generator().manual_seed(2)), torch.arange(200) % len(SHAPES)
with torch.no_grad():
    healthy_images = G_healthy(z, y)
real_acc, healthy_acc = probe_accuracy(real_images, factors.shape), probe_accuracy(healthy_images, y)
real_div, healthy_div = within_class_diversity(real_images, factors.shape), within_class_diversity(healthy_images, y)
print(f"probe sees the intended class: real renders {real_acc:.0%}, samples after {config.steps} steps {healthy_acc:.0%}")
print(f"diversity within a class: real renders {real_div:.2f}, samples {healthy_div:.2f}")
""")
nb.finding("""
After **{config.steps}** steps the probe finds the intended class in **{healthy_acc:.0%}** of the samples —
{"no better than" if healthy_acc < 0.3 else "above"} the {1 / len(SHAPES):.0%} of chance — while it reads
{real_acc:.0%} of real renders of the same size correctly. The samples do differ from latent to latent (diversity
within a class **{healthy_div:.2f}**, against **{real_div:.2f}** for real renders), but in colour and texture, not in
outline.
""")
md("""
Why so little? Fifty updates at a learning rate of `2e-4` move G only a short way from its random start, and what D
learns to tell apart first is the cheapest difference between real and generated images: their colours and textures.
So G's first gradients are about colours. An outline needs many pixels to agree with each other, and a pure GAN finds
that slowly — the recipe's documentation reports that a pure GAN of the shipped size reaches only coloured blobs in
the time of a whole run, which is why the recipe does something else (section 5). The live view shows the run's
mechanics rather than its result: losses that oscillate instead of falling, and σ₀ moving as the optimiser updates
the unnormalised weights.
""")
code("""
end = {"G": sigma0(G), "D": sigma0(D)}
applied = max(applied_sigma(G).max(), applied_sigma(D).max()).item()
for net in ("G", "D"):
    print(f"{net}: largest σ₀ {start[net].max():.3f} -> {end[net].max():.3f}, median {start[net].median():.3f} -> {end[net].median():.3f}")
print(f"largest singular value of any weight the layers apply, W / σ(W): {applied:.3f}")
""")
nb.finding("""
Over the {config.steps} steps the largest σ₀ of G's layers went from **{start["G"].max():.3f}** to
**{end["G"].max():.3f}** and that of D's from **{start["D"].max():.3f}** to **{end["D"].max():.3f}**, while the
weights the layers apply keep a top singular value of **{applied:.3f}**: spectral norm divides whatever σ₀ the
optimiser produces back to one. Watching σ₀, not the normalised weights, is what shows how the training moves them.
""")
md("""
## 4. Mode collapse, on purpose
A generator **collapses** when many latents map to the same few images: it has found outputs that the current D
accepts and stops exploring. D then learns to reject exactly those, G jumps to another few, and the game cycles
instead of covering the data. Our measure is again the diversity within a class; a collapsed generator drives it
towards zero.

We provoke collapse by turning the two time-scale rule upside down: G learns ten times faster than the defaults and D
forty times slower, with Adam's momentum on (`beta1 = 0.5`). D barely changes, so G simply converges on whatever D
happens to like most — one picture per class, whatever z says.
""")
code("""
G_bad, D_bad = make_models()
bad_config = GANTrainConfig(steps=50, batch_size=32, lr_g=2e-3, lr_d=1e-5, beta1=0.5, ema_decay=0.9, ema_start=0,
                            log_every=5, threads=1, mixed_precision="off", checkpoint_every=10_000, seed=0)
bad_start = sigma0(G_bad)
collapsing = live_view("G 10x faster, D 40x slower: mode collapse", G_bad, D_bad)
ema_bad = train_gan(G_bad, D_bad, real_batches(bad_config.batch_size), bad_config, tempfile.mkdtemp(),
                    n_classes=len(SHAPES), on_log=collapsing)
G_collapsed = ema_bad.shadow.eval()
""")
code("""
with torch.no_grad():
    collapsed_images = G_collapsed(z, y)
collapsed_div = within_class_diversity(collapsed_images, y)
growth = {"healthy": (end["G"] / start["G"]).max().item(), "collapsing": (sigma0(G_bad) / bad_start).max().item()}
print(f"diversity within a class: real renders {real_div:.2f}, two time-scale defaults {healthy_div:.2f}, "
      f"collapsed {collapsed_div:.2f}")
print("largest growth of a σ₀ in G:", {k: f"{v:.2f}x" for k, v in growth.items()})

fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
for view, first, label in [(healthy, start["G"], "two time-scale defaults"), (collapsing, bad_start, "G 10x faster, D 40x slower")]:
    ax.plot([0] + [r["step"] for r in view.log], [first.max().item()] + [r["sigma0_G"].max().item() for r in view.log],
            "o-", ms=3, label=label)
ax.set(xlabel="step", ylabel="largest σ₀ in G", title="σ₀ of G's weights before normalisation")
ax.legend(fontsize=8); plt.show()
""")
nb.finding("""
Within a class the collapsed generator's samples differ by **{collapsed_div:.2f}** on average, against
**{healthy_div:.2f}** with the two time-scale defaults and **{real_div:.2f}** for real renders:
{"the inverted learning rates cost" if collapsed_div < healthy_div else "in this run the inverted learning rates did not cost"}
{f"{1 - collapsed_div / healthy_div:.0%} of the variety" if collapsed_div < healthy_div else "variety"}.
G's σ₀ tells the same story in its own terms: the fastest-growing layer's σ₀ grew **{growth["collapsing"]:.2f}×** in
the collapsing run against **{growth["healthy"]:.2f}×** in the healthy one,
{"the early sign of trouble that Brock et al. (2019, §4) watch for" if growth["collapsing"] > growth["healthy"] else "so here σ₀ gave no earlier warning than the samples"}.
""")
code("""
zs = torch.randn(8, 32, generator=torch.Generator().manual_seed(4)).repeat(len(SHAPES), 1)
ys = torch.arange(len(SHAPES)).repeat_interleave(8)
latents = [f"z{i}" for i in range(8)]
with torch.no_grad():
    show(G_healthy(zs, ys), row_labels=SHAPES, col_labels=latents,
         title=f"two time-scale defaults, {config.steps} steps: 8 latents (columns) per class (rows)")
    show(G_collapsed(zs, ys), row_labels=SHAPES, col_labels=latents,
         title=f"collapsed, {bad_config.steps} steps: the same 8 latents per class")
""")
md("""
Compare the rows of the two grids: where the generator has collapsed, the latent changes a row far less than the class
does. What prevents this in BigGAN-style training:

* **D at least as fast as G** (the two time-scale update rule), so G cannot settle on what a stale D likes;
* **spectral norm** in D, which keeps its scores smooth so that G receives gradients towards the whole data, not only
  towards one spot;
* **large batches** (hence gradient accumulation): D sees many modes at once and a collapsed batch is easy to reject;
* the **EMA** of G, which smooths out the cycling of the game.

BigGAN's own runs still collapse eventually at the largest scales; Brock et al. (2019, §4) stop training before that
and use the truncation trick (notebook 08) to trade variety for fidelity at sampling time.

## 5. How the shipped `shapes-biggan` was trained
The recipe `latentlab.recipes.shapes_biggan` calls the same `train_gan`, with its own settings
(`shapes_biggan.TRAINING`) and one more ingredient: a **paired loss**. Every latent stands for known factors (a shape,
a colour, a position…), the renderer draws them, and G is pulled towards that picture (L1 on its layers, the object's
alpha by cross-entropy) before the discriminator ever plays — the L1 + GAN pairing of pix2pix (Isola et al., 2017),
applied to a generator. The discriminator joins only at the end, at a small weight, to sharpen what L1 leaves soft. The figures
below are read from the recipe module itself:
""")
code("""
from importlib.resources import files

from latentlab import load_generator
from latentlab.zoo.checkpoints import read_metadata

R = shapes_biggan.TRAINING
shipped = load_generator("shapes-biggan")
shipped_steps = int(read_metadata(str(files("latentlab.zoo") / "weights" / "shapes-biggan.safetensors"))["steps"])
print(f"recipe: {R.steps} steps, paired only until step {R.adversarial_start}, adversarial weight {R.adversarial_weight}, "
      f"batch {R.batch_size}, lr_g {R.lr_g}, lr_d {R.lr_d}, EMA {R.ema_decay} from step {R.ema_start}")
print(f"the shipped weights record {shipped_steps} steps")
""")
nb.finding("""
The recipe trains **{R.steps:,}** steps at {shipped.resolution}×{shipped.resolution} pixels with batches of
{R.batch_size}: the first **{R.adversarial_start:,}** ({R.adversarial_start / R.steps:.0%}) on the paired loss alone,
the last **{R.steps - R.adversarial_start:,}** with the discriminator, whose loss enters at weight {R.adversarial_weight:g}
next to the paired loss. G learns at `{R.lr_g:g}`, {"faster" if R.lr_g > R.lr_d else "no faster"} than D's `{R.lr_d:g}`:
with a paired target doing most of the work, the two time-scale rule that protects the pure game matters less. Its EMA
decays at {R.ema_decay:g} from step {R.ema_start:,}. The shipped weights record **{shipped_steps:,}** training steps,
{"the recipe's number" if shipped_steps == R.steps else "not the recipe's number"}.
""")
md("""
`latentlab train shapes-biggan --out runs/g` runs the whole recipe (the recipe's documentation estimates about forty
minutes on two CPU cores; it is resumable, and Ctrl-C keeps its state); `latentlab train shapes-stylegan` trains the
style-based generator the same way. Its result is the embedded `shapes-biggan`:
""")
code("""
with torch.no_grad():
    show(shipped(shipped.sample_latents(8, seed=4).repeat(len(SHAPES), 1), torch.arange(len(SHAPES)).repeat_interleave(8)),
         row_labels=SHAPES, col_labels=[f"z{i}" for i in range(8)],
         title=f"shapes-biggan after its recipe's {R.steps:,} steps ({R.adversarial_start:,} paired): 8 latents per class")
if USE_PRETRAINED:  # BigGAN-deep: the same ingredients at full scale, trained on ImageNet
    big = load_generator("biggan-deep-128", device="cuda" if torch.cuda.is_available() else "cpu")
    big_classes = ["tabby cat", "volcano", "daisy", "tiger"] * 2
    with torch.no_grad():
        show(big.generate(8, seed=0, truncation=0.5, classes=big_classes), nrow=4, labels=big_classes,
             title="BigGAN-deep 128, truncation 0.5")
""")
md("""
## Exercises
""")
nb.exercise(
    "Which class collapsed most?",
    "The diversity within a class above is an average over the five classes. Compute it class by class for real "
    "renders, the two time-scale run and the collapsed run, and find the class whose variety the collapse cut the most.",
    "`pixel_diversity(images[classes == c])` is the diversity of one class; the samples `healthy_images`, "
    "`collapsed_images` (made for the classes `y`) and `real_images` (classes `factors.shape`) are already there.",
    """
rows = {"real renders": (real_images, factors.shape), "two time-scale": (healthy_images, y),
        "collapsed": (collapsed_images, y)}
table = {name: [pixel_diversity(im[c == k]) for k in range(len(SHAPES))] for name, (im, c) in rows.items()}
print(f"{'':>15s}" + "".join(f"{s:>10s}" for s in SHAPES))
for name, values in table.items():
    print(f"{name:>15s}" + "".join(f"{v:10.3f}" for v in values))
cut = [1 - b / a for a, b in zip(table["two time-scale"], table["collapsed"])]
print(f"the collapse cut the variety of '{SHAPES[max(range(len(SHAPES)), key=cut.__getitem__)]}' most ({max(cut):.0%})")
""")
nb.exercise(
    "Provoke mode collapse another way, and measure it",
    "Freeze the discriminator completely (`lr_d=0`): G then chases a fixed critic. Train fresh models for 20 steps with "
    "`lr_g=5e-3` and measure the diversity within a class of the result against the two time-scale run. Does a frozen "
    "D collapse G, and how does the largest σ₀ of G move?",
    "Reuse `make_models`, `GANTrainConfig`, `train_gan`, `within_class_diversity` and `sigma0`; sample with `z, y` as "
    "above. Keep `log_every` larger than the number of steps so that no live view is needed.",
    """
G_frozen, D_frozen = make_models(seed=1)
before = sigma0(G_frozen)
frozen_config = GANTrainConfig(steps=20, batch_size=16, lr_g=5e-3, lr_d=0.0, beta1=0.5, ema_decay=0.9, ema_start=0,
                               log_every=1000, threads=1, mixed_precision="off", checkpoint_every=10_000, seed=0)
frozen = train_gan(G_frozen, D_frozen, real_batches(16), frozen_config, tempfile.mkdtemp(), n_classes=len(SHAPES))
with torch.no_grad():
    frozen_div = within_class_diversity(frozen.shadow.eval()(z, y), y)
print(f"diversity within a class: frozen D {frozen_div:.3f}, two time-scale {healthy_div:.3f}, real {real_div:.3f}")
print("less variety than the two time-scale run:", frozen_div < healthy_div)
print(f"largest σ₀ of G: {before.max():.3f} -> {sigma0(G_frozen).max():.3f}")
""")
nb.exercise(
    "σ₀ by power iteration",
    "Spectral norm does not compute an SVD: it estimates σ by power iteration, `v = Wᵀu / |Wᵀu|`, `u = Wv / |Wv|`, "
    "`σ ≈ uᵀWv`. Implement it and run it from a random `u` on two matrices: the unnormalised weight of D's first layer "
    "after training, and a random Gaussian matrix of the same shape. Print the ratio σ₁ / σ₂ of their two largest "
    "singular values and the estimate after 1, 10 and 100 iterations next to the exact σ₀. Which one converges slowly, "
    "and why does that make `W / σ(W)` come out slightly above one?",
    "`W = D.stem.parametrizations.weight.original.detach().flatten(1)`; `torch.linalg.svdvals(W)` gives all singular "
    "values. Power iteration shrinks the error by about (σ₂ / σ₁)² per iteration.",
    """
def power_iteration(W, iterations, seed=0):
    u = F.normalize(torch.randn(W.shape[0], generator=torch.Generator().manual_seed(seed)), dim=0)
    for _ in range(iterations):
        v = F.normalize(W.T @ u, dim=0)
        u = F.normalize(W @ v, dim=0)
    return (u @ W @ v).item()

trained = D.stem.parametrizations.weight.original.detach().flatten(1)
gaussian = torch.randn(trained.shape, generator=torch.Generator().manual_seed(0))
for name, W in [("D's trained stem", trained), ("Gaussian matrix", gaussian)]:
    s = torch.linalg.svdvals(W)
    estimates = ", ".join(f"{k}: {power_iteration(W, k):.4f}" for k in (1, 10, 100))
    print(f"{name:17s} σ1/σ2 = {s[0] / s[1]:.3f}; exact σ₀ {s[0]:.4f}; estimates after {estimates}")
# orthogonal initialisation leaves all singular values equal and a short training run spreads them only a little, so
# the estimate converges slowly and from below: dividing by an underestimate leaves W / σ(W) slightly above one.
# During training one iteration runs per forward pass with u kept from the last, so the estimate keeps improving.
""")
nb.references("goodfellow2014", "ulusan2023", "brock2019", "miyato2018", "heusel2017", "isola2017")

nb.write()
