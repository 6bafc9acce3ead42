"""Build notebooks/07_metrics.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb07.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/07_metrics.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("07_metrics")
md, code = nb.md, nb.code

md(f"""
{nb.badge}

# 07 · Metrics: how good is a generator?

A GAN's losses do not tell us how good its images are: the generator and the discriminator are trained against each
other, so a lower loss may only mean a weaker opponent. To compare generators, checkpoints or truncation settings we
need numbers computed from the images themselves. This notebook measures the embedded `shapes-biggan` three ways:

1. **Distribution metrics — IS, FID, KID and precision/recall.** A network turns every image into a feature vector
   (or class probabilities); the metric compares the generated images' features with those of real images.
   [torch-fidelity](https://github.com/toshas/torch-fidelity) implements them; we use its functions directly.
2. **Truncation curves.** The truncation trick (notebooks 01 and 08) trades variety for fidelity. Measuring both
   sides for several ψ turns a slider into a curve.
3. **Classifier-based evaluation**, as in seed 001 ch. 5: generate images of each class, ask a classifier what it
   sees, and read the per-class accuracy and the confusion matrix.

**Which network measures?** For photographs the standard is Inception-v3 trained on ImageNet: "FID" means "Fréchet
distance in Inception features". Inception knows nothing useful about 64-pixel synthetic shapes, so for the Shapes
world we measure in the features of `shapes-probe`, a small CNN trained on exactly this world. latentlab registers it
with torch-fidelity as the feature extractor `"shapes-probe"`, so the same formulas run in either feature space.
Numbers from different feature spaces are not comparable, so always say which one a number comes from.
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to measure BigGAN-deep 128 (a 211 MB download) with ImageNet
# networks: torch-fidelity's Inception-v3 (91 MB) for IS/FID/KID and torchvision's ResNet-50 (98 MB) as the classifier,
# against real photos of the ten ImageNet classes of Imagenette (the 160 px validation set, about 95 MB); everything goes
# into the cache. With False nothing is downloaded and everything runs on a CPU with the embedded models.
USE_PRETRAINED = False
""")
code("""
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
from torch_fidelity.metric_isc import isc_features_to_metric
from torch_fidelity.metric_kid import kid_features_to_metric
from torch_fidelity.metric_prc import prc_features_to_metric

from latentlab import load_generator, show_grid as show
from latentlab.metrics.fidelity import to_uint8

torch.manual_seed(0)
torch.set_num_threads(2)

if USE_PRETRAINED:
    import torchvision
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
    from torchvision import transforms

    from latentlab.assessors import ClassifierAssessor
    from latentlab.metrics.inception import inception_weights
    from latentlab.zoo.cache import cache_dir

    device = "cuda" if torch.cuda.is_available() else "cpu"
    G = load_generator("biggan-deep-128", device=device)
    CLASSES = [0, 217, 482, 491, 497, 566, 569, 571, 574, 701]  # ImageNet indices of Imagenette's classes, in its label order
    N_POOL, SIZES, N_PER_PSI = 1500, [100, 250, 500, 1000, 1500], 1000
    inception = FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"],
                                            feature_extractor_weights_path=str(inception_weights())).eval().to(device)
    resnet = torchvision.models.resnet50(weights="IMAGENET1K_V2")
    classifier = ClassifierAssessor(resnet, input_size=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)).to(device)
    imagenette = torchvision.datasets.Imagenette(cache_dir() / "imagenette", split="val", size="160px", download=True,
                                                 transform=transforms.Compose([transforms.Resize(128), transforms.CenterCrop(128),
                                                                               transforms.ToTensor()]))
    shuffled = torch.randperm(len(imagenette), generator=torch.Generator().manual_seed(0)).tolist()

    @torch.no_grad()
    def measure(images):
        \"\"\"Inception pool features [N, 2048] and logits [N, 1008] (as torch-fidelity computes them), ResNet-50's class [N].\"\"\"
        parts = [inception(to_uint8(chunk).to(device)) for chunk in images.split(100)]
        predicted = classifier.predict(images.to(device), batch_size=100).cpu()
        return torch.cat([p[0] for p in parts]).double().cpu(), torch.cat([p[1] for p in parts]).double().cpu(), predicted

    def real_images(n, part):
        \"\"\"n Imagenette photos (disjoint for part 0 and 1) and their ImageNet classes.\"\"\"
        pairs = [imagenette[i] for i in shuffled[part * n:(part + 1) * n]]
        return torch.stack([p[0] for p in pairs]), torch.tensor([CLASSES[p[1]] for p in pairs])
else:
    from latentlab import load_probe
    from latentlab.data import render, sample_factors

    device = "cpu"
    G = load_generator("shapes-biggan")   # embedded, 64×64, five shape classes
    probe = load_probe("shapes-probe")
    CLASSES = list(range(len(G.class_names)))
    N_POOL, SIZES, N_PER_PSI = 800, [50, 100, 200, 400, 800], 250

    @torch.no_grad()
    def measure(images):
        \"\"\"Probe features [N, 256] (what the "shapes-probe" extractor gives torch-fidelity), class logits [N, 5], class [N].\"\"\"
        outs = [probe(to_uint8(chunk).float() / 255, with_mask=False) for chunk in images.split(200)]
        logits = torch.cat([o.logits for o in outs]).double()
        return torch.cat([o.features for o in outs]).double(), logits, logits.argmax(dim=1)

    def real_images(n, part):
        \"\"\"n real renders of the Shapes world (a different seed for part 0 and 1) and their shape classes.\"\"\"
        factors = sample_factors(n, seed=11 + part)
        return render(factors)[0], factors.shape


@torch.no_grad()
def generate(n, psi, seed):
    \"\"\"n images at truncation psi with balanced classes, and the classes they were asked for.

    Latents are drawn in blocks of 100, each with its own seed, so generate(300, ...) is the start of generate(800, ...).
    \"\"\"
    classes = torch.tensor(CLASSES)[torch.arange(n) % len(CLASSES)]
    blocks = []
    for start in range(0, n, 100):
        z = G.sample_latents(min(100, n - start), seed=1000 * seed + start, truncation=psi)
        blocks.append(G(z, classes[start:start + 100].to(G.device)).cpu())
    return torch.cat(blocks), classes


real_a, labels_a = real_images(N_POOL, part=0)    # the reference set
real_b, _ = real_images(N_POOL, part=1)           # a second real set, to measure real against real
generated, asked = generate(N_POOL, psi=1.0, seed=0)
feats_a, logits_a, predicted_a = measure(real_a)   # features, class logits and predicted classes
feats_b, logits_b, _ = measure(real_b)
feats_g, logits_g, predicted = measure(generated)
print(f"{N_POOL} real, {N_POOL} more real and {N_POOL} generated images; features of dimension {feats_a.shape[1]}")
show(torch.cat([real_a[:8], generated[:8]]), title="top: real, bottom: generated (psi = 1)")
""")
md("""
## 1. Distribution metrics
All of them look at **sets** of images through the eyes of one network; none of them judges a single image.

* **Inception Score (IS)** needs no real images. The network's class probabilities p(y|x) should be confident for
  each image (one clear class) while their average p(y) over all images should be spread over many classes (variety):
  $\\mathrm{IS} = \\exp\\big(\\mathbb{E}_x\\, \\mathrm{KL}(p(y|x)\\,\\|\\,p(y))\\big)$. It lies between 1 and the number of
  classes — 5 for the probe, 1,008 for torch-fidelity's Inception.
* **Fréchet Inception Distance (FID)** fits a Gaussian to the features of each set and measures the distance between
  the two Gaussians: $\\|\\mu_r - \\mu_g\\|^2 + \\mathrm{Tr}\\big(\\Sigma_r + \\Sigma_g - 2(\\Sigma_r\\Sigma_g)^{1/2}\\big)$.
  Lower is better; 0 means identical statistics.
* **Kernel Inception Distance (KID)** compares the two feature sets with a polynomial kernel (the squared maximum mean
  discrepancy), averaged over random subsets. Unlike FID it assumes no Gaussian and is **unbiased**: two sets from the
  same distribution score 0 on average, whatever their size.
* **Precision and recall** (Kynkäänniemi et al., 2019) separate the two things FID mixes. Around every real feature
  vector draw a ball reaching its 3rd nearest real neighbour: *precision* is the fraction of generated images inside
  some real ball (they look real); *recall* is the same with the roles swapped (the real variety is covered).

Each torch-fidelity function below takes feature tensors; `measure` (defined above) computes them with the probe.
""")
code("""
def fid_of(f1, f2):
    return fid_statistics_to_metric(fid_features_to_statistics(f1), fid_features_to_statistics(f2), verbose=False)["frechet_inception_distance"]

def kid_of(f1, f2, seed=0):
    out = kid_features_to_metric(f1, f2, kid_subsets=20, kid_subset_size=len(f1) // 2, rng_seed=seed, verbose=False)
    return out["kernel_inception_distance_mean"], out["kernel_inception_distance_std"]

def prc_of(f_generated, f_real):
    out = prc_features_to_metric(f_generated, f_real, prc_neighborhood=3, prc_batch_size=10000, save_cpu_ram=False, verbose=False)
    return out["precision"], out["recall"]

print(f"all at N = {N_POOL}            IS     FID            KID   precision  recall")
for label, (f, logits) in {"real (second set)": (feats_b, logits_b), "generated, psi = 1": (feats_g, logits_g)}.items():
    inception_score = isc_features_to_metric(logits, splits=10, rng_seed=0)["inception_score_mean"]
    kid, kid_std = kid_of(f, feats_a)
    precision, recall = prc_of(f, feats_a)
    print(f"{label:22s} {inception_score:6.2f} {fid_of(f, feats_a):7.1f} {kid:6.1f} ± {kid_std:4.1f} {precision:9.2f} {recall:7.2f}")
""")
md("""
The second real set is the yardstick. Its IS is close to the maximum of 5 (the probe is sure of each shape and the
real shapes are balanced), its FID and KID are small, its precision and recall close to 1. The generated set comes
close on every count: the probe is as sure of its shapes (IS), generated images lie on the real manifold (precision)
and cover its variety (recall), and at 800 images their FID and KID are within the spread of two real sets. Section 1
of the next part shows how large that spread is; a generator that missed part of the real variety would show it first
as a lower **recall**, and section 2 does so with truncation.

**torch-fidelity end to end.** The cell above calls torch-fidelity's metric functions on features we extracted. Its
`calculate_metrics` does the whole chain (quantise to uint8, extract, compute) with a registered feature extractor;
`latentlab.metrics.fid` calls it with `feature_extractor="shapes-probe"` and gives the same number:
""")
code("""
if USE_PRETRAINED:
    from latentlab.metrics.inception import inception_metrics
    end_to_end = inception_metrics(generated[:400], real_a[:400], isc=False, kid=False, device=device)["frechet_inception_distance"]
else:
    from latentlab.metrics import fid
    end_to_end = fid(generated[:400], real_a[:400])
print(f"N = 400: FID from torch-fidelity's calculate_metrics {end_to_end:.1f}, from our features {fid_of(feats_g[:400], feats_a[:400]):.1f}")
""")
md("""
### Pitfall: FID depends on the sample size — measure the floor
FID estimates a mean and a covariance matrix from N samples. The estimates are noisy, and the noise does not average
out: it always *adds* distance. So FID is **biased upwards for small N**, even for two sets drawn from the very same
distribution. Below, real against real and generated against real at growing N. For each N we take up to four
disjoint sets of N images from the pools above and print the mean and, where there are several sets, their spread:
""")
code("""
def mean_and_spread(values):
    return f"{np.mean(values):6.1f} ± {np.std(values):5.1f}" if len(values) > 1 else f"{values[0]:6.1f}        "

print("     N  sets    FID real-real     FID gen-real  gen/floor    KID real-real     KID gen-real")
for n in SIZES:
    slices = [slice(i * n, (i + 1) * n) for i in range(min(4, N_POOL // n))]
    floor = [fid_of(feats_b[s], feats_a[s]) for s in slices]
    value = [fid_of(feats_g[s], feats_a[s]) for s in slices]
    kid_rr = [kid_of(feats_b[s], feats_a[s])[0] for s in slices]
    kid_gr = [kid_of(feats_g[s], feats_a[s])[0] for s in slices]
    print(f"{n:6d} {len(slices):5d}  {mean_and_spread(floor)}  {mean_and_spread(value)} {np.mean(value) / np.mean(floor):10.2f}  "
          f"{mean_and_spread(kid_rr)}  {mean_and_spread(kid_gr)}")
""")
md("""
Read the columns:
* **FID real-real**, the **floor**, is far from 0 at small N and shrinks as N grows. Any FID measured with N samples
  contains this floor, so FIDs are comparable only at the **same N** (papers use 50,000 Inception features; a
  benchmark such as `python -m benchmarks.generators` uses 10,000 probe features and prints the floor beside each FID).
* At small N, FID also varies a lot from one set of images to the next (the ± spread). A difference smaller than
  that spread says nothing about which of two generators is better.
* **FID gen-real** shrinks with N too, so a model evaluated on more samples looks better than one evaluated on fewer.
  Dividing by the floor does not remove the bias either (see the ratio column): report N and the floor beside every
  FID, and compare FIDs only at equal N.
* **KID real-real** scatters around 0 (it can be negative) at every N: no bias. Its spread across sets is large,
  though, so with small sets KID tells "clearly different" from "indistinguishable" but not much more.

Two more pitfalls, not shown here: FID is only as meaningful as its feature space (Inception features say little about
images unlike ImageNet photos — hence the probe here), and it is sensitive to preprocessing (resizing filter, JPEG
compression, uint8 rounding), so compute the real statistics and the generated ones through exactly the same pipeline.
""")
md("""
## 2. Truncation curves: fidelity against variety
Sampling z from a normal distribution truncated at ψ (every entry with |z| > ψ is redrawn) keeps the generator in the
well-trained middle of its latent space. We measure, for several ψ and the same seed:
* fidelity — **class consistency** (the classifier reads the class that was asked for) and **precision**;
* variety — **recall**;
* overall — **FID** against the real set at the same N, split into its two terms: the **mean term**
  $\\|\\mu_r - \\mu_g\\|^2$ (where the features sit) and the **covariance term** (how they spread).
""")
code("""
psis = [0.25, 0.5, 1.0, 1.5, 2.0]
n = N_PER_PSI
stats_real = fid_features_to_statistics(feats_a[:n])
floor = fid_of(feats_b[:n], feats_a[:n])
curve, sets = [], {}
for psi in psis:
    if psi == 1.0:   # the start of the psi = 1 set above: the same images, no need to make and measure them again
        images, asked_psi, f, predicted_psi = generated[:n], asked[:n], feats_g[:n], predicted[:n]
    else:
        images, asked_psi = generate(n, psi=psi, seed=0)
        f, _, predicted_psi = measure(images)
    sets[psi] = images
    stats = fid_features_to_statistics(f)
    total = fid_statistics_to_metric(stats, stats_real, verbose=False)["frechet_inception_distance"]
    mean_term = float(((stats["mu"] - stats_real["mu"]) ** 2).sum())
    precision, recall = prc_of(f, feats_a[:n])
    consistency = (predicted_psi == asked_psi).float().mean().item()
    curve.append(dict(psi=psi, consistency=consistency, precision=precision, recall=recall, fid=total, mean=mean_term))
print(f"N = {n} per psi; FID floor (real vs real) {floor:.1f}")
print("  psi  class-consistency  precision  recall     FID  mean term  covariance term")
for c in curve:
    print(f"{c['psi']:5.2f} {c['consistency']:18.2f} {c['precision']:10.2f} {c['recall']:7.2f} {c['fid']:7.1f} "
          f"{c['mean']:10.1f} {c['fid'] - c['mean']:16.1f}")
""")
code("""
x = [c["psi"] for c in curve]
fig, ax = plt.subplots(1, 3, figsize=(13, 3.3), dpi=80)
ax[0].plot(x, [c["consistency"] for c in curve], "o-", label="class consistency")
ax[0].plot(x, [c["precision"] for c in curve], "o-", label="precision")
ax[0].plot(x, [c["recall"] for c in curve], "o-", label="recall")
ax[0].set(xlabel="truncation psi", ylabel="fraction", title="fidelity and variety", ylim=(0, 1.02)); ax[0].legend()
ax[1].plot([c["recall"] for c in curve], [c["precision"] for c in curve], "o-")
for c in curve:
    ax[1].annotate(f"psi={c['psi']}", (c["recall"], c["precision"]), textcoords="offset points", xytext=(4, 4), fontsize=8)
ax[1].set(xlabel="recall (variety)", ylabel="precision (fidelity)", title="the trade-off as one curve")
ax[2].bar([str(p) for p in x], [c["mean"] for c in curve], label="mean term")
ax[2].bar([str(p) for p in x], [c["fid"] - c["mean"] for c in curve], bottom=[c["mean"] for c in curve], label="covariance term")
ax[2].axhline(floor, ls=":", c="gray", label="floor (real vs real)")
ax[2].set(xlabel="truncation psi", ylabel="FID", title="FID, split into its two terms"); ax[2].legend()
fig.tight_layout(); plt.show()
show(torch.cat([sets[psi][:8] for psi in psis]), nrow=8, scale=0.9, title="the same seeds at psi = " + ", ".join(map(str, psis)) + " (top to bottom)")
""")
md("""
What the curves show:
* **Recall** grows with ψ: at small ψ all samples sit in a small region of feature space and most of the real
  variety is missing.
* **Precision** and **class consistency** do not rise as ψ falls; both are lowest at the smallest ψ.
  For a strong generator such as BigGAN, truncation raises both — that is why the trick is used: less variety, but
  better images. Each latent of `shapes-biggan` stands for the factors it was trained to render, so truncating it
  below ψ = 1 asks for centred, mid-sized objects rather than for better-drawn ones (and very small ψ, far from where
  it was trained, draws slightly worse ones); from ψ = 1 on it changes little (notebook 01 says why). Here truncation
  costs variety and buys nothing. Measuring both sides is what reveals it.
* **FID** is worst at the smallest ψ. Between the other settings its differences are about as large as the spread of
  FID between sets of a few hundred images (section 1), so they do not rank them. Its **covariance term** dominates at
  every ψ: FID mixes two failures into one number — images that look wrong move the mean, images that are all alike
  shrink the covariance. Precision and recall, or FID's two terms, tell which one is happening.
* The middle panel puts precision against recall, one point per ψ. For a generator that truncation helps, the points
  run from the top left (small ψ: high precision, low recall) to the bottom right; here recall grows while precision
  shows no steady fall.

With `USE_PRETRAINED = True` the same cells measure BigGAN-deep, where precision and class consistency should rise
as ψ falls, and recall drop — the trade-off of the BigGAN paper.

The probe can also read *what* variety is lost. `read_factors` returns its estimate of x, y, scale and hue for every
image; `factor_spread` gives the 1-D Wasserstein distance of each factor's distribution to the real one (in fractions
of the image, or of the hue circle). This works in the Shapes world only, where the probe knows the factors:
""")
code("""
if not USE_PRETRAINED:   # the probe's factors exist only in the Shapes world
    from latentlab.metrics import factor_spread, read_factors

    real_factors = read_factors(probe, real_a[:n])
    print("  psi  W(x)  W(y)  W(scale)  W(hue)    std(x)  mean(scale)")
    for psi in psis:
        r = read_factors(probe, sets[psi])
        w = factor_spread(r, real_factors)
        print(f"{psi:5.2f}  {w['x']:4.2f}  {w['y']:4.2f}  {w['scale']:8.2f}  {w['hue']:6.2f}  {r.x.std():8.2f}  {r.scale.mean():11.2f}")
    print(f" real  {'':32s}{real_factors.x.std():8.2f}  {real_factors.scale.mean():11.2f}")
""")
md("""
The distances of x and y shrink as ψ grows to 1 and stay small beyond. The last two columns show what they measure
at small ψ: the objects crowd near the centre of the image (the spread of x is far below the real one); from ψ = 1 on
they spread like real objects. At every ψ the generated objects are a little smaller on average than real ones, as the
probe reads them.

## 3. Classifier-based evaluation (seed 001 ch. 5)
Seed 001 generated 512 images for each of ten classes and counted how often a classifier trained on real data
(a CIFAR-10 CNN, ImageNet's ResNet-50) agreed with the class the image was made for. We do the same with the probe on
the ψ = 1 images from the start of the notebook, which were made with balanced classes. First the classifier on
*real* images: its accuracy there is the ceiling for what it can confirm on generated ones.
""")
code("""
names = [G.class_names[c] for c in CLASSES]
other = USE_PRETRAINED   # an ImageNet classifier can answer any of 1,000 classes: collect the rest as "other"

def confusion(truth, predicted):
    \"\"\"Counts [asked class, predicted class (+ other)].\"\"\"
    column = {c: j for j, c in enumerate(CLASSES)}
    matrix = torch.zeros(len(CLASSES), len(CLASSES) + other, dtype=torch.long)
    for t, p in zip(truth.tolist(), predicted.tolist()):
        matrix[column[t], column.get(p, len(CLASSES))] += 1
    return matrix

real_matrix = confusion(labels_a, predicted_a)
gen_matrix = confusion(asked, predicted)
width = max(len(s) for s in names) + 2
print(f"{'class':{width}s} positive  negative  accuracy   (on real images)")
for i, name in enumerate(names):
    pos, total = gen_matrix[i, i].item(), gen_matrix[i].sum().item()
    print(f"{name:{width}s} {pos:8d} {total - pos:9d} {pos / total:9.2f}   ({real_matrix[i, i] / real_matrix[i].sum():.2f})")
pos = gen_matrix.diag().sum().item()
print(f"{'TOTAL':{width}s} {pos:8d} {len(asked) - pos:9d} {pos / len(asked):9.2f}   "
      f"({real_matrix.diag().sum() / real_matrix.sum():.2f})")
""")
code("""
fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), dpi=80)
columns = names + ["other"] * other
for ax, matrix, title in [(axes[0], real_matrix, "real images"), (axes[1], gen_matrix, "generated images (psi = 1)")]:
    share = (matrix / matrix.sum(dim=1, keepdim=True)).numpy()
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    if len(CLASSES) <= 10:
        for i in range(share.shape[0]):
            for j in range(share.shape[1]):
                ax.text(j, i, f"{share[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if share[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(columns)), columns, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set(xlabel="classifier says", ylabel="image made as", title=title)
fig.tight_layout(); plt.show()
""")
md("""
Each row of a confusion matrix is one class the images were made for; each column is what the classifier read. A
perfect generator (and classifier) puts everything on the diagonal. On real images the probe's matrix is diagonal,
so the classifier is not the problem. The generated matrix is nearly diagonal too: the probe confirms about 99 % of
the classes asked for, and the misses are spread thinly over the other classes rather than gathered in one
confusion. A matrix says more than the overall accuracy: an accuracy of 3/4 could mean every class drawn a little
wrong, or one class drawn as another (an earlier `shapes-biggan`, which drew its objects in place, had most of its
squares read as hearts).

Seed 001 reads its matrices the same way: BigGAN's "deer" looked like dogs, and its birds, cars and trucks were often
read as airplanes.

Looking at the images behind the numbers is part of the method. For one class, images the classifier confirmed and
images it did not:
""")
code("""
target = CLASSES[0]
made = (asked == target)
right = generated[made & (predicted == target)][:8]
wrong = generated[made & (predicted != target)][:8]
show(torch.cat([right, wrong]), nrow=8,
     title=f"made as {G.class_names[target]}: read as {G.class_names[target]} (top), as something else (bottom)")
""")
md("""
### Pitfalls of classifier-based evaluation
* The classifier's own accuracy on real images bounds what it can confirm (ResNet-50 reads about 76–80% of ImageNet
  correctly). Always report it beside the generated accuracy, as in the table above.
* A classifier can be right for the wrong reason. Seed 001 found BigGAN's "airplanes" confirmed because of the blue
  sky, not the plane.
* Never evaluate with the model you optimised against. A search that maximises one classifier's (or CLIP's) score
  finds images that fool it; judge them with a different model, as notebook 04 does (CLIP searches, the probe checks).

## Summary
| metric | needs real images | measures | watch out for |
|---|---|---|---|
| IS | no | confident predictions + many classes | blind to variety within a class and to realism; at most the number of classes |
| FID | yes | distance between feature Gaussians | biased by N: compare at equal N, report the floor; feature space and preprocessing |
| KID | yes | kernel distance between feature sets | unbiased but noisy: report its spread |
| precision / recall | yes | fidelity and variety separately | depend on N and the neighbourhood size k |
| classifier accuracy | no (a classifier trained on them) | per-class fidelity, confusions | classifier ceiling, shortcuts, never the optimised model |

From a terminal, `python -m benchmarks.generators` measures the truncation curve of `shapes-biggan` on 10,000 samples
per ψ; `latentlab.metrics.inception.inception_metrics(generated, real)` computes Inception IS/FID/KID for natural images.
""")

nb.write()
