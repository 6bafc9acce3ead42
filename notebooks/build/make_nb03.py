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

A GAN is two networks trained against each other (seed 003 §3). The **generator** G turns a random latent z (and
here a class y) into an image; the **discriminator** D scores images, high for real ones and low for generated ones.
Training alternates two steps: D learns to tell real from fake, then G learns to raise D's score of its samples.
Neither has a fixed target — each chases the other — which is why GAN training needs care.

This notebook trains a small class-conditional BigGAN on the Shapes world with latentlab's real training loop,
`latentlab.training.gan.train_gan` — the same code that trained the embedded `shapes-biggan` — for a few dozen steps
on a CPU, with live loss curves and sample grids. It uses the four ingredients BigGAN relies on:

* the **hinge loss**,
* **spectral normalisation** of every weight in G and D,
* an **exponential moving average (EMA)** of G's weights, which is the generator we sample from,
* **gradient accumulation**, to reach a large effective batch on small hardware.

Then it shows the most common failure, **mode collapse**, on purpose.
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
from IPython.display import Image, display

from latentlab import make_grid, show_grid as show
from latentlab.data import SHAPES, ShapesDataset, render, sample_factors
from latentlab.generators.compact_biggan import CompactBigGAN, CompactBigGANConfig
from latentlab.training.discriminator import ProjectionDiscriminator
from latentlab.training.gan import GANTrainConfig, train_gan
from latentlab.widgets import figure_to_png, new_figure
from latentlab.widgets.truncation import pixel_diversity

torch.set_num_threads(1)  # these networks are so small that splitting each operation over threads costs more than it saves
SIZE = 32  # 32×32 pixels keeps a training step around a tenth of a second on a CPU

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
show(images[classes.argsort()], title="real Shapes renders, sorted by class: " + ", ".join(SHAPES))
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
## 2. The hinge loss
D outputs an unbounded score. The hinge loss asks for a margin and then stops pushing:

* D minimises `relu(1 − D(real)) + relu(1 + D(fake))` — real scores above +1 and fake scores below −1 cost nothing;
* G minimises `−D(G(z, y))` — it simply raises D's score of its samples.

Once D is confidently right about an image it gets no more gradient from it, which keeps D from overshooting.
""")
code("""
s = torch.linspace(-3, 3, 200)
fig, ax = plt.subplots(figsize=(5, 2.6), dpi=80)
ax.plot(s, torch.relu(1 - s), label="D's loss on a real image")
ax.plot(s, torch.relu(1 + s), label="D's loss on a generated image")
ax.plot(s, -s, "--", label="G's loss on its image")
ax.set(xlabel="D's score", ylabel="loss"); ax.legend(fontsize=8); plt.show()
""")
md("""
## 3. Training with live curves and samples
`GANTrainConfig` holds every setting (the defaults are the `shapes-biggan` recipe). We keep the recipe's two time-scale
update rule — D learns twice as fast as G (`lr_d = 4e-4`, `lr_g = 2e-4`), Adam with β1 = 0 — and shorten the rest:

* `batch_size=16, accumulate=2`: gradients of two batches of 16 are summed before each update, so every update sees an
  **effective batch of 32** while only 16 images are in memory at once (BigGAN's batches of 2,048 need the same trick);
* `ema_decay=0.9, ema_start=0`: the EMA copy is `0.9 · EMA + 0.1 · G` after every step (the recipe uses 0.999 over
  6,500 steps); it averages out the oscillation of the adversarial game, so samples come from it;
* `on_log=…` is called every `log_every` steps with the logged losses and the EMA generator: the live view below.
""")
code("""
def live_view(title):
    \"\"\"An on_log callback that redraws loss curves, a sample grid (one class per row) and within-class diversity.\"\"\"
    z = torch.randn(6, 32, generator=torch.Generator().manual_seed(1)).repeat(len(SHAPES), 1)
    y = torch.arange(len(SHAPES)).repeat_interleave(6)
    log, handle = [], display(Image(data=b""), display_id=True)

    def on_log(record, ema):
        with torch.no_grad():
            samples = ema(z, y)
        log.append({**record, "diversity": sum(pixel_diversity(samples[y == c]) for c in range(len(SHAPES))) / len(SHAPES)})
        fig = new_figure(11, 3.2)
        a, b, c = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.2]})
        steps = [r["step"] for r in log]
        a.plot(steps, [r["loss_d"] for r in log], label="D (hinge)"); a.plot(steps, [r["loss_g"] for r in log], label="G")
        a.set(xlabel="step", title="losses"); a.legend(fontsize=8)
        b.plot(steps, [r["diversity"] for r in log], "o-", ms=3); b.set(xlabel="step", title="diversity within a class", ylim=(0, 0.3))
        c.imshow(make_grid(samples, nrow=6).permute(1, 2, 0)); c.axis("off"); c.set_title(f"EMA samples, step {record['step']}")
        fig.suptitle(title); fig.tight_layout()
        handle.update(Image(data=figure_to_png(fig)))

    on_log.log = log
    return on_log

config = GANTrainConfig(steps=50, batch_size=16, accumulate=2, ema_decay=0.9, ema_start=0, log_every=5,
                        threads=1, mixed_precision="off", checkpoint_every=10_000, seed=0)
healthy = live_view("recipe settings: D learns faster than G")
ema = train_gan(G, D, real_batches(config.batch_size), config, tempfile.mkdtemp(), n_classes=len(SHAPES),
                on_log=healthy, progress=False)
G_healthy = ema.shadow.eval()
""")
md("""
Fifty steps is far too short to draw good shapes — the embedded `shapes-biggan` trained for 6,500 — but the samples
already differ in colour, size and position from latent to latent. Spectral norm has kept each of D's layers at a
largest singular value of one:
""")
code("""
layers = [m for m in D.modules() if hasattr(m, "parametrizations")]
sigmas = [torch.linalg.matrix_norm(m.weight.detach().flatten(1), ord=2).item() for m in layers]
print(f"{len(layers)} spectrally normalised layers in D; largest singular values between {min(sigmas):.1f} and {max(sigmas):.1f}")
""")
md("""
## 4. Mode collapse, on purpose
A generator **collapses** when many latents map to the same few images: it has found outputs that the current D
accepts and stops exploring. D then learns to reject exactly those, G jumps to another few, and the game cycles
instead of covering the data. The measure below is the *diversity within a class*: the mean pixel distance between
samples of one class drawn from different latents. For real renders it is about 0.25; a collapsed generator drives it
towards zero.

We provoke collapse by turning the two time-scale rule upside down: G learns ten times faster than the recipe and D
forty times slower, with Adam's momentum on (β1 = 0.5). D barely changes, so G simply converges on whatever D happens to
like most — one picture per class, whatever z says.
""")
code("""
G_bad, D_bad = make_models()
bad_config = GANTrainConfig(steps=50, batch_size=32, lr_g=2e-3, lr_d=1e-5, beta1=0.5, ema_decay=0.9, ema_start=0,
                            log_every=5, threads=1, mixed_precision="off", checkpoint_every=10_000, seed=0)
collapsing = live_view("G 10x faster, D 40x slower: mode collapse")
ema_bad = train_gan(G_bad, D_bad, real_batches(bad_config.batch_size), bad_config, tempfile.mkdtemp(), n_classes=len(SHAPES),
                    on_log=collapsing, progress=False)
G_collapsed = ema_bad.shadow.eval()
""")
code("""
def within_class_diversity(images, classes):
    return sum(pixel_diversity(images[classes == c]) for c in classes.unique()) / len(classes.unique())

factors = sample_factors(200, seed=3)
real_div = within_class_diversity(render(factors, size=SIZE)[0], factors.shape)
z, y = torch.randn(200, 32, generator=torch.Generator().manual_seed(2)), torch.arange(200) % len(SHAPES)
with torch.no_grad():
    healthy_div, collapsed_div = within_class_diversity(G_healthy(z, y), y), within_class_diversity(G_collapsed(z, y), y)
print(f"diversity within a class: real renders {real_div:.2f}, recipe settings {healthy_div:.2f}, collapsed {collapsed_div:.2f}")
print("less variety within a class after collapse:", collapsed_div < healthy_div)
""")
code("""
zs = torch.randn(8, 32, generator=torch.Generator().manual_seed(4)).repeat(len(SHAPES), 1)
ys = torch.arange(len(SHAPES)).repeat_interleave(8)
with torch.no_grad():
    show(G_healthy(zs, ys), title="recipe settings: 8 latents (columns) per class (rows)")
    show(G_collapsed(zs, ys), title="collapsed: the 8 latents give nearly the same picture in each row")
""")
md("""
In the collapsed grid each row is almost a single picture repeated: the class still matters, the latent hardly does.
What prevents this in practice — and what the recipe uses:

* **D at least as fast as G** (two time-scale update rule), so G cannot settle on what a stale D likes;
* **spectral norm** in D, which keeps its scores smooth so that G receives gradients towards the whole data, not only
  towards one spot;
* **large batches** (hence gradient accumulation): D sees many modes at once and a collapsed batch is easy to reject;
* the **EMA** of G, which smooths out the cycling of the game.

BigGAN's own runs still collapse eventually at the largest scales; the authors stop training before that and use the
truncation trick (notebook 08) to trade variety for fidelity at sampling time.

## 5. The full recipe
`latentlab train shapes-biggan --out runs/g` runs the whole recipe (3,600 steps at 64×64 — 3,000 paired with the
renderer, then 600 adversarial — about 40 minutes on two CPU cores; resumable, Ctrl-C keeps its state;
`latentlab train shapes-stylegan` trains the style-based generator the same way in about an hour). Its result ships
as the embedded `shapes-biggan`:
""")
code("""
from latentlab import load_generator

shipped = load_generator("shapes-biggan")
with torch.no_grad():
    show(shipped(shipped.sample_latents(8, seed=4).repeat(len(SHAPES), 1), torch.arange(len(SHAPES)).repeat_interleave(8)),
         title="shapes-biggan after 6,500 steps: 8 latents per class")
if USE_PRETRAINED:  # BigGAN-deep: the same ingredients at full scale, trained on ImageNet
    big = load_generator("biggan-deep-128", device="cuda" if torch.cuda.is_available() else "cpu")
    with torch.no_grad():
        show(big.generate(8, seed=0, truncation=0.5, classes=["tabby cat", "volcano", "daisy", "tiger"] * 2), nrow=4,
             title="BigGAN-deep 128, truncation 0.5")
""")

nb.write()
