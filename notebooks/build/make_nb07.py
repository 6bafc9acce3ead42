"""Build notebooks/07_metrics.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb07.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/07_metrics.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("07_metrics")
md, code, finding = nb.md, nb.code, nb.finding

md(f"""
{nb.badge}

# 07 · Metrics: how good is a generator?

A GAN's losses do not tell us how good its images are: the generator and the discriminator are trained against each
other, so a lower loss may only mean a weaker opponent. To compare generators, checkpoints or truncation settings we
need numbers computed from the images themselves. This notebook measures the embedded `shapes-biggan` three ways:

1. **Distribution metrics — IS, FID, KID and precision/recall.** A network turns every image into a feature vector
   (or class probabilities); the metric compares the generated images' features with those of real images.
   [torch-fidelity](https://github.com/toshas/torch-fidelity) implements them; we use its functions directly. The
   most used of them, FID, is easy to get wrong: section 1 shows how many images it needs and how to report it.
2. **Truncation curves.** The truncation trick (Brock et al., 2019; notebooks 01 and 08) trades variety for fidelity.
   Measuring both sides for several ψ turns a slider into a curve.
3. **Classifier-based evaluation.** Ask a classifier what it sees: first in images made for a class, then — as
   Komorowski and Domagała (2021, ch. 5) evaluate their CLIP-guided text-to-image searches — in images *evolved from
   text prompts*, checking that the shape and the colour the prompt names are really there.

**Which network measures?** For photographs the standard is Inception-v3 trained on ImageNet: "FID" means "Fréchet
distance in Inception features" (Heusel et al., 2017). Inception knows nothing useful about 64-pixel synthetic shapes,
so for the Shapes world we measure in the features of `shapes-probe`, a small CNN trained on exactly this world.
latentlab registers it with torch-fidelity as the feature extractor `"shapes-probe"`, so the same formulas run in
either feature space. Numbers from different feature spaces are not comparable, so always say which one a number
comes from.
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to measure BigGAN-deep 128 (a 211 MB download) with ImageNet
# networks: torch-fidelity's Inception-v3 (91 MB) for IS/FID/KID and torchvision's ResNet-50 (98 MB) as the classifier,
# against real photos of the ten ImageNet classes of Imagenette (the 160 px validation set, about 95 MB), and OpenAI's
# CLIP ViT-B/32 (605 MB) for the text-to-image search; everything goes into the cache. With False nothing is downloaded
# and everything runs on a CPU with the embedded models.
USE_PRETRAINED = False
""")
code("""
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
from torch_fidelity.metric_isc import isc_features_to_metric
from torch_fidelity.metric_kid import kid_features_to_metric
from torch_fidelity.metric_prc import prc_features_to_metric
from threadpoolctl import threadpool_limits

from latentlab import load_generator, show_grid as show
from latentlab.metrics.fidelity import to_uint8

torch.manual_seed(0)
torch.set_num_threads(2)
threadpool_limits(1, user_api="blas")   # numpy's many small matrix products (KID, FID's matrix root) run fastest on one thread
""")
md("""
## 0. Setup, in five steps
**Step 1 — the models.** A generator to measure, and the networks that measure it: in the Shapes world the probe
gives features, class logits and factor readings; with `USE_PRETRAINED` Inception-v3 gives features and logits and
ResNet-50 the class.
""")
code("""
if USE_PRETRAINED:
    import torchvision
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    from latentlab.assessors import ClassifierAssessor
    from latentlab.metrics.inception import inception_weights

    device = "cuda" if torch.cuda.is_available() else "cpu"
    G = load_generator("biggan-deep-128", device=device)
    CLASSES = [0, 217, 482, 491, 497, 566, 569, 571, 574, 701]  # ImageNet indices of Imagenette's classes, in its label order
    inception = FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"],
                                            feature_extractor_weights_path=str(inception_weights())).eval().to(device)
    resnet = torchvision.models.resnet50(weights="IMAGENET1K_V2")
    classifier = ClassifierAssessor(resnet, input_size=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)).to(device)
else:
    from latentlab import load_probe

    device = "cpu"
    G = load_generator("shapes-biggan")   # embedded, 64×64, five shape classes
    probe = load_probe("shapes-probe")
    CLASSES = list(range(len(G.class_names)))
""")
md("""
**Step 2 — how many images.** Every number below is measured on a finite set of images, and (section 1 shows) the
set size changes the numbers. These are all the sizes the notebook uses, in one place:
""")
code("""
# N_POOL     generated images at psi = 1; the real pool holds twice as many, so that two disjoint real sets of
#            N_POOL fit in it (real against real gives the "floor" of section 1)
# N_FIT      more real images, used only to fit the reduced feature space of section 1
# SIZES      the set sizes N of the sample-size study, each drawn SPLITS times at random from the pools
# N_PER_PSI  images per truncation setting in section 2 (one of SIZES, so its floor is known)
# K          dimensions of the reduced feature space
if USE_PRETRAINED:
    N_POOL, N_FIT, SIZES, N_PER_PSI = 1000, 1000, [100, 250, 500, 1000], 500
else:
    N_POOL, N_FIT, SIZES, N_PER_PSI = 600, 400, [50, 100, 200, 400, 600], 200
SPLITS, K = 10, 32
""")
md("""
**Step 3 — one function that measures.** `measure(images)` returns what the measuring networks see in a batch: the
feature vectors (for FID, KID, precision and recall), the class logits (for IS) and the predicted class (for the
classifier-based evaluation). Images go through uint8 first, exactly as torch-fidelity feeds them.
""")
code('''
if USE_PRETRAINED:
    @torch.no_grad()
    def measure(images):
        """Inception pool features [N, 2048] and logits [N, 1008] (as torch-fidelity computes them), ResNet-50's class [N]."""
        parts = [inception(to_uint8(chunk).to(device)) for chunk in images.split(100)]
        predicted = classifier.predict(images.to(device), batch_size=100).cpu()
        return torch.cat([p[0] for p in parts]).double().cpu(), torch.cat([p[1] for p in parts]).double().cpu(), predicted
else:
    @torch.no_grad()
    def measure(images):
        """Probe features [N, 256] (what the "shapes-probe" extractor gives torch-fidelity), class logits [N, 5], class [N]."""
        outs = [probe(to_uint8(chunk).float() / 255, with_mask=False) for chunk in images.split(200)]
        logits = torch.cat([o.logits for o in outs]).double()
        return torch.cat([o.features for o in outs]).double(), logits, logits.argmax(dim=1)
''')
md("""
**Step 4 — where images come from.** Real images are renders of the Shapes world (or Imagenette photos), in two
disjoint parts: part 0 is the real pool every comparison draws from, part 1 only fits the feature space. Generated
images have balanced classes and are drawn in blocks of 100 latents with their own seeds, so a smaller set is the
start of a larger one made with the same seed.
""")
code('''
if USE_PRETRAINED:
    from torchvision import transforms

    from latentlab.zoo.cache import cache_dir

    imagenette = torchvision.datasets.Imagenette(cache_dir() / "imagenette", split="val", size="160px", download=True,
                                                 transform=transforms.Compose([transforms.Resize(128), transforms.CenterCrop(128),
                                                                               transforms.ToTensor()]))
    shuffled = torch.randperm(len(imagenette), generator=torch.Generator().manual_seed(0)).tolist()

    def real_images(n, part):
        """n Imagenette photos and their ImageNet classes; part 0 and part 1 never share a photo."""
        start = 0 if part == 0 else 2 * N_POOL
        pairs = [imagenette[i] for i in shuffled[start:start + n]]
        return torch.stack([p[0] for p in pairs]), torch.tensor([CLASSES[p[1]] for p in pairs])
else:
    from latentlab.data import render, sample_factors

    def real_images(n, part):
        """n real renders of the Shapes world (a different seed for part 0 and part 1) and their shape classes."""
        factors = sample_factors(n, seed=11 + part)
        return render(factors)[0], factors.shape


@torch.no_grad()
def generate(n, psi, seed):
    """n images at truncation psi with balanced classes, and the classes they were asked for."""
    classes = torch.tensor(CLASSES)[torch.arange(n) % len(CLASSES)]
    blocks = []
    for start in range(0, n, 100):
        z = G.sample_latents(min(100, n - start), seed=1000 * seed + start, truncation=psi)
        blocks.append(G(z, classes[start:start + 100].to(G.device)).cpu())
    return torch.cat(blocks), classes
''')
md("""
**Step 5 — make and measure the pools.** This is the slow cell: it renders or loads the real images, generates the
ψ = 1 set and runs the measuring networks over all of them once. Everything after it reuses these features.
""")
code("""
real, labels_real = real_images(2 * N_POOL, part=0)   # the real pool
fit_images, _ = real_images(N_FIT, part=1)            # only fits the feature space
generated, asked = generate(N_POOL, psi=1.0, seed=0)
feats_real, logits_real, predicted_real = measure(real)   # features, class logits and predicted classes
feats_fit, _, _ = measure(fit_images)
feats_g, logits_g, predicted = measure(generated)
print(f"{len(real)} real images in the pool, {len(fit_images)} to fit the feature space, {len(generated)} generated; "
      f"features of dimension {feats_real.shape[1]}")
show(torch.cat([real[:8], generated[:8]]), nrow=8, row_labels=["real", "generated, ψ = 1"],
     title="the first images of the real pool and of the generated set")
""")
md(r"""
## 1. Distribution metrics
All of them look at **sets** of images through the eyes of one network; none of them judges a single image.

* **Inception Score (IS)** (Salimans et al., 2016) needs no real images. The network's class probabilities p(y|x)
  should be confident for each image (one clear class) while their average p(y) over all images should be spread over
  many classes (variety): $\mathrm{IS} = \exp\big(\mathbb{E}_x\, \mathrm{KL}(p(y|x)\,\|\,p(y))\big)$. It lies between
  1 and the number of classes — 5 for the probe, 1,008 for torch-fidelity's Inception.
* **Fréchet Inception Distance (FID)** (Heusel et al., 2017) fits a Gaussian to the features of each set and measures
  the distance between the two Gaussians:
  $\|\mu_r - \mu_g\|^2 + \mathrm{Tr}\big(\Sigma_r + \Sigma_g - 2(\Sigma_r\Sigma_g)^{1/2}\big)$.
  Lower is better; 0 means identical statistics.
* **Kernel Inception Distance (KID)** (Bińkowski et al., 2018) compares the two feature sets with a polynomial kernel
  $k(x, y) = (x^\top y / d + 1)^3$: it is the squared maximum mean discrepancy, estimated without bias and averaged
  over random subsets. It assumes no Gaussian, and two sets from the same distribution score 0 *on average*, whatever
  their size — so a single estimate can come out slightly negative. Its values are small: we print
  **KID × 10³**, as papers do.
* **Precision and recall** (Kynkäänniemi et al., 2019) separate the two things FID mixes. Around every real feature
  vector draw a ball reaching its 3rd nearest real neighbour: *precision* is the fraction of generated images inside
  some real ball (they look real); *recall* is the same with the roles swapped (the real variety is covered).

### Which features, and how many of them
FID estimates a d-dimensional mean and a d × d covariance matrix from N images. With the probe's features,
$d = 256$ and the covariance has $256 \cdot 257 / 2 = 32{,}896$ entries, to be estimated from a few hundred images:
that estimate is mostly noise, and below $N = d$ the covariance is not even of full rank. FID needs
**N ≫ d** — papers use 50,000 images for Inception's 2,048 features. With the few hundred images a CPU measures in
seconds we do the other thing and make d small:

1. fit a **PCA** on a separate set of real renders (part 1: a basis fitted to the very images we compare against would
   favour them), and keep its top $K = 32$ directions;
2. scale each direction to unit variance on those renders (**whitening**). The cell below shows why: most of the probe's
   variance sits in one direction, so without the scaling FID would be, in effect, the difference of
   one coordinate and the other directions would hardly count. After it, a distance is measured in standard deviations
   of real renders along each direction.

This reduced space is a feature space of our choosing, like Inception's: its numbers are comparable only with numbers
measured in the same space.
""")
code("""
mean_fit = feats_fit.mean(dim=0)
eigval, eigvec = torch.linalg.eigh(torch.cov((feats_fit - mean_fit).T))
eigval, eigvec = eigval.flip(0).clamp(min=0), eigvec.flip(1)   # largest first
share = (eigval / eigval.sum()).numpy()
basis = eigvec[:, :K] / eigval[:K].sqrt()                      # the top K directions, each scaled to unit variance


def reduce(features):
    \"\"\"Features [N, d] -> [N, K]: coordinates along the fit set's top K principal directions, in units of their std.\"\"\"
    return (features - mean_fit) @ basis


r_real, r_g = reduce(feats_real), reduce(feats_g)
D = feats_real.shape[1]
live = int((feats_fit.std(dim=0) > 0).sum())   # features that vary at all on real images (the rest are always 0)
fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
ax.semilogy(range(1, live + 1), share[:live], ".-", ms=3)
ax.axvline(K, ls=":", c="gray", label=f"K = {K} kept")
ax.set(xlabel="principal direction (largest variance first)", ylabel="share of the variance",
       title=f"the spectrum of the probe features on {N_FIT} real images")
ax.legend(); fig.tight_layout(); plt.show()
""")
finding("""
Only **{live}** of the {D} features vary at all on real images (the others are units that are always 0 there), so
the raw covariance cannot even have full rank. The top direction holds **{share[0]:.0%}** of the variance, and the top
{K} hold **{share[:K].sum():.2%}** of it. With the {N_POOL} images of a set, $N/d$ is **{N_POOL / D:.1f}** in the raw features
and **{N_POOL / K:.0f}** in the reduced ones.
""")
md("""
### The metrics at full size
Three small functions wrap torch-fidelity's metrics, which take feature tensors. We measure two sets against the
first half of the real pool (the *reference*): the other half, a second real set, is the yardstick — it shows what an
indistinguishable set scores — and the generated set.
""")
code("""
def fid_of(f1, f2):
    stats = fid_features_to_statistics(f1), fid_features_to_statistics(f2)
    return fid_statistics_to_metric(*stats, verbose=False)["frechet_inception_distance"]

def kid_of(f1, f2, seed=0):
    \"\"\"KID × 1000, its mean and std over 20 random subsets of half the set.\"\"\"
    out = kid_features_to_metric(f1, f2, kid_subsets=20, kid_subset_size=min(len(f1), len(f2)) // 2, rng_seed=seed, verbose=False)
    return 1000 * out["kernel_inception_distance_mean"], 1000 * out["kernel_inception_distance_std"]

def prc_of(f_generated, f_real):
    out = prc_features_to_metric(f_generated, f_real, prc_neighborhood=3, prc_batch_size=10000, save_cpu_ram=False, verbose=False)
    return out["precision"], out["recall"]

reference, second = slice(0, N_POOL), slice(N_POOL, 2 * N_POOL)
table = {}
for label, (f, logits) in {"real (second set)": (r_real[second], logits_real[second]),
                           "generated, psi = 1": (r_g, logits_g)}.items():
    inception_score = isc_features_to_metric(logits, splits=10, rng_seed=0)["inception_score_mean"]
    table[label] = (inception_score, fid_of(f, r_real[reference]), *kid_of(f, r_real[reference]), *prc_of(f, r_real[reference]))
print(f"N = {N_POOL}, reduced features (K = {K})")
print(f"{'':20s}    IS    FID   KID×10³      precision  recall")
for label, (inception_score, f, kid, kid_std, precision, recall) in table.items():
    print(f"{label:20s} {inception_score:5.2f} {f:6.2f} {kid:6.1f} ± {kid_std:4.1f} {precision:9.2f} {recall:7.2f}")
real_row, gen_row = table["real (second set)"], table["generated, psi = 1"]
""")
finding("""
The second real set scores an IS of **{real_row[0]:.2f}** (at most 5), an FID of **{real_row[1]:.2f}**, a KID × 10³ of
**{real_row[2]:.1f}** and a precision and recall of **{real_row[4]:.2f}** and **{real_row[5]:.2f}**: that is what a set
indistinguishable from the reference scores with {N_POOL} images. The generated set scores **{gen_row[0]:.2f}**,
**{gen_row[1]:.2f}**, **{gen_row[2]:.1f}**, **{gen_row[4]:.2f}** and **{gen_row[5]:.2f}** — its FID is
**{gen_row[1] / real_row[1]:.1f}×** that of the second real set. Whether such a gap means anything depends on how much
these numbers move from one draw of images to the next: the sample-size study below measures it.
""")
md("""
### torch-fidelity end to end
The cells above call torch-fidelity's metric functions on features we extracted. Its `calculate_metrics` does the
whole chain (quantise to uint8, extract, compute) with a registered feature extractor; `latentlab.metrics.fid` calls
it with `feature_extractor="shapes-probe"`, in the probe's raw features. On the same images it gives the same number
as our features do (here for 250 images, in the raw space):
""")
code("""
n = 250
if USE_PRETRAINED:
    from latentlab.metrics.inception import inception_metrics
    end_to_end = inception_metrics(generated[:n], real[:n], isc=False, kid=False, device=device)["frechet_inception_distance"]
else:
    from latentlab.metrics import fid
    end_to_end = fid(generated[:n], real[:n])
print(f"N = {n}, raw features: FID from torch-fidelity's calculate_metrics {end_to_end:.2f}, "
      f"from our features {fid_of(feats_g[:n], feats_real[:n]):.2f}")
""")
md("""
### Pitfall: FID depends on the sample size — measure the floor and its noise
The mean and the covariance are estimated from N samples. The estimates are noisy, and in FID the noise does not
average out: it always *adds* distance. So FID is **biased upwards at small N**, even for two sets drawn from the very
same distribution, by an amount that shrinks about as 1/N (Chong and Forsyth, 2020). The FID of two real sets of size
N is the **floor**: a generator indistinguishable from the real data scores about the floor, so only the part of
an FID above the floor — and above the floor's own noise — says anything about the generator.

For each N below we draw, `SPLITS` (ten) times at random, two disjoint real sets of N from the pool (real against real: the
floor) and N generated images (against the first real set). The mean ± std over the draws shows the floor and how much
it moves from one draw to the next. Draws from one pool share images, so this spread slightly understates that of
entirely fresh sets.
""")
code("""
rng = torch.Generator().manual_seed(0)
study = {}
for n in SIZES:
    rows = []
    for _ in range(SPLITS):
        order = torch.randperm(2 * N_POOL, generator=rng)
        a, b = order[:n], order[n:2 * n]                  # two disjoint real sets of n
        g = torch.randperm(N_POOL, generator=rng)[:n]     # n generated images
        rows.append((fid_of(r_real[b], r_real[a]), fid_of(r_g[g], r_real[a]),
                     kid_of(r_real[b], r_real[a])[0], kid_of(r_g[g], r_real[a])[0]))
    study[n] = np.array(rows)   # [SPLITS, 4]: FID real-real, FID gen-real, KID real-real, KID gen-real
mean = {n: s.mean(axis=0) for n, s in study.items()}
std = {n: s.std(axis=0) for n, s in study.items()}

print(f"reduced features (K = {K}); mean ± std over {SPLITS} random draws")
print("     N  N/K    FID real-real     FID gen-real  gen/floor   KID×10³ real-real  KID×10³ gen-real")
for n in SIZES:
    m, s = mean[n], std[n]
    print(f"{n:6d} {n / K:4.0f}  {m[0]:7.2f} ± {s[0]:5.2f}  {m[1]:7.2f} ± {s[1]:5.2f} {m[1] / m[0]:9.2f}  "
          f"{m[2]:8.1f} ± {s[2]:5.1f}     {m[3]:8.1f} ± {s[3]:5.1f}")
""")
code("""
x = np.array(SIZES)
fig, ax = plt.subplots(1, 2, figsize=(11, 3.6), dpi=100)
for column, label in [(0, "real vs real (floor)"), (1, "generated vs real")]:
    ax[0].errorbar(x, [mean[n][column] for n in SIZES], yerr=[std[n][column] for n in SIZES], fmt="o-", capsize=3, label=label)
    ax[1].errorbar(x, [mean[n][column + 2] for n in SIZES], yerr=[std[n][column + 2] for n in SIZES], fmt="o-", capsize=3, label=label)
ax[0].set(xscale="log", yscale="log", xlabel="images per set N", ylabel="FID (reduced features)", title="FID: biased, shrinks with N")
ax[1].axhline(0, c="gray", lw=0.8)
ax[1].set(xscale="log", xlabel="images per set N", ylabel="KID × 10³ (reduced features)", title="KID: unbiased, noisy at small N")
for a in ax:
    a.legend()
fig.tight_layout(); plt.show()

clear = [n for n in SIZES if mean[n][1] > mean[n][0] + 2 * std[n][0]]     # above the floor's mean + 2 std
below = [n for n in SIZES if mean[n][1] < mean[n][0]]
listed = lambda ns: ", ".join(map(str, ns))
kid_unbiased = all(abs(mean[n][2]) < 2 * std[n][2] for n in SIZES)
decay = np.log(mean[SIZES[0]][0] / mean[SIZES[-1]][0]) / np.log(SIZES[-1] / SIZES[0])   # floor ∝ N^-decay
""")
finding("""
The floor falls from **{mean[SIZES[0]][0]:.2f} ± {std[SIZES[0]][0]:.2f}** at N = {SIZES[0]} to
**{mean[SIZES[-1]][0]:.2f} ± {std[SIZES[-1]][0]:.2f}** at N = {SIZES[-1]}: **{mean[SIZES[0]][0] / mean[SIZES[-1]][0]:.0f}×**
smaller with {SIZES[-1] // SIZES[0]}× more images, {'close to the 1/N of a pure estimation bias' if 0.8 < decay < 1.2 else f'as N to the power −{decay:.1f}'}. The generated set's FID
falls with N as well, to **{mean[SIZES[-1]][1]:.2f} ± {std[SIZES[-1]][1]:.2f}** at N = {SIZES[-1]}
(**{mean[SIZES[-1]][1] / mean[SIZES[-1]][0]:.1f}×** the floor).
{('It lies clearly above the floor — above its mean + 2 std — at N = ' + listed(clear) + '.') if clear else 'At no N does it lie clearly above the floor (above its mean + 2 std).'}
{('At N = ' + listed(below) + ' its mean is even *below* the floor: with N only ' + listed([n // K for n in below]) + ' times K, the estimates are still mostly noise, and a set whose features spread a little less than real ones (as a generator that misses some variety does) carries less of that noise than a real set.') if below else 'At no N is it below the floor.'}
KID × 10³ of real against real is **{mean[SIZES[-1]][2]:.1f} ± {std[SIZES[-1]][2]:.1f}** at N = {SIZES[-1]} and
**{mean[SIZES[0]][2]:.1f} ± {std[SIZES[0]][2]:.1f}** at N = {SIZES[0]} —
{'within two of its standard deviations of 0 at every N: no bias that grows at small N, as FID’s does, only more noise' if kid_unbiased else 'not always within two standard deviations of 0, a reminder of how few draws these are'}
(its lowest single draw is **{min(study[n][:, 2].min() for n in SIZES):.1f}**). Generated against real it is
**{mean[SIZES[-1]][3]:.1f} ± {std[SIZES[-1]][3]:.1f}** at N = {SIZES[-1]}.
""")
md("""
How to read and report FID, then:
* **Report N and the floor** (with its spread) beside every FID, and compare FIDs only at the **same N**: the floor
  is part of every FID measured with N images, and a model evaluated on more samples looks better than one evaluated
  on fewer. Dividing by the floor does not remove the bias either: the ratio column changes with N too.
* **A difference smaller than the spread** across draws says nothing about which of two generators is better.
* **Keep N ≫ d.** In the raw 256-d features a set of a few hundred images gives FIDs dominated by noise (exercise 1
  measures them): the spread of the floor is then as large as the gap to the generator, and an FID *below* the floor
  is a common symptom. Chong and Forsyth (2020) go further: since the bias is
  about linear in 1/N, measuring at several N and extrapolating to 1/N → 0 gives a bias-free "FID∞" (exercise 2).
* **KID** has no bias: for two sets from one distribution its expected value is 0 at every N, so single draws land
  below 0 as well as above. At small N it is very noisy, though, so with small sets it tells "clearly different" from
  "indistinguishable" and not much more.

Two more pitfalls, not shown here: FID is only as meaningful as its feature space (Inception features say little about
images unlike ImageNet photos — hence the probe here), and it is sensitive to preprocessing (resizing filter, JPEG
compression, uint8 rounding), so compute the real statistics and the generated ones through exactly the same pipeline.
""")
md(r"""
## 2. Truncation curves: fidelity against variety
Sampling z from a normal distribution truncated at ψ (every entry with |z| > ψ is redrawn) keeps the generator in the
well-trained middle of its latent space. We measure, for several ψ and the same seed, with `N_PER_PSI` images each
against `SPLITS` (ten) random real sets of the same size from the pool (the numbers are averages over them):
* fidelity — **class consistency** (the classifier reads the class that was asked for) and **precision**;
* variety — **recall**;
* overall — **FID**, split into its two terms: the **mean term** $\|\mu_r - \mu_g\|^2$ (where the features sit) and the
  **covariance term** (how they spread), with the floor at this N.
""")
code("""
psis = [0.25, 0.5, 1.0, 2.0]
n = N_PER_PSI
rng = torch.Generator().manual_seed(1)
references = [torch.randperm(2 * N_POOL, generator=rng)[:n] for _ in range(SPLITS)]
floor, floor_std = mean[n][0], std[n][0]
curve, sets = [], {}
for psi in psis:
    if psi == 1.0:   # the start of the psi = 1 set above: the same images, no need to make and measure them again
        images, asked_psi, f, predicted_psi = generated[:n], asked[:n], r_g[:n], predicted[:n]
    else:
        images, asked_psi = generate(n, psi=psi, seed=0)
        raw, _, predicted_psi = measure(images)
        f = reduce(raw)
    sets[psi] = images
    stats = fid_features_to_statistics(f)
    fids, mean_terms, prcs = [], [], []
    for a in references:
        stats_real = fid_features_to_statistics(r_real[a])
        fids.append(fid_statistics_to_metric(stats, stats_real, verbose=False)["frechet_inception_distance"])
        mean_terms.append(float(((stats["mu"] - stats_real["mu"]) ** 2).sum()))
        prcs.append(prc_of(f, r_real[a]))
    precision, recall = np.mean(prcs, axis=0)
    consistency = (predicted_psi == asked_psi).float().mean().item()
    curve.append(dict(psi=psi, consistency=consistency, precision=precision, recall=recall,
                      fid=np.mean(fids), fid_std=np.std(fids), mean=np.mean(mean_terms)))
print(f"N = {n} per psi; FID floor (real vs real) {floor:.2f} ± {floor_std:.2f}")
print("  psi  class-consistency  precision  recall         FID  mean term  covariance term")
for c in curve:
    print(f"{c['psi']:5.2f} {c['consistency']:18.2f} {c['precision']:10.2f} {c['recall']:7.2f} {c['fid']:6.2f} ± {c['fid_std']:4.2f} "
          f"{c['mean']:10.2f} {c['fid'] - c['mean']:16.2f}")
""")
code("""
x = [c["psi"] for c in curve]
fig, ax = plt.subplots(1, 3, figsize=(13, 3.5), dpi=100)
ax[0].plot(x, [c["consistency"] for c in curve], "o-", label="class consistency")
ax[0].plot(x, [c["precision"] for c in curve], "o-", label="precision")
ax[0].plot(x, [c["recall"] for c in curve], "o-", label="recall")
ax[0].set(xlabel="truncation psi", ylabel="fraction", title="fidelity and variety", ylim=(0, 1.02)); ax[0].legend()
ax[1].plot([c["recall"] for c in curve], [c["precision"] for c in curve], "o-")
for c in curve:
    ax[1].annotate(f"psi={c['psi']}", (c["recall"], c["precision"]), textcoords="offset points", xytext=(4, 4), fontsize=8)
ax[1].set(xlabel="recall (variety)", ylabel="precision (fidelity)", title="the trade-off as one curve")
labels = [str(p) for p in x]
ax[2].bar(labels, [c["mean"] for c in curve], label="mean term")
ax[2].bar(labels, [c["fid"] - c["mean"] for c in curve], bottom=[c["mean"] for c in curve], label="covariance term",
          yerr=[c["fid_std"] for c in curve], capsize=3)
ax[2].axhspan(floor - 2 * floor_std, floor + 2 * floor_std, color="gray", alpha=0.25, label="floor ± 2 std")
ax[2].set(xlabel="truncation psi", ylabel=f"FID (reduced features, N = {n})", title="FID, split into its two terms"); ax[2].legend()
fig.tight_layout(); plt.show()
show(torch.cat([sets[psi][:8] for psi in psis]), nrow=8, row_labels=[f"ψ = {psi}" for psi in psis],
     title=f"the same seeds at {len(psis)} truncations")
""")
code("""
by_psi = {c["psi"]: c for c in curve}
lowest, highest = psis[0], psis[-1]
worst_fid = max(curve, key=lambda c: c["fid"])["psi"]
at_floor = [c["psi"] for c in curve if c["fid"] < floor + 2 * floor_std]    # within the floor's band (or below)
under_floor = [c["psi"] for c in curve if c["fid"] < floor]
least_consistent = min(curve, key=lambda c: c["consistency"])["psi"]
least_precise = min(curve, key=lambda c: c["precision"])["psi"]
under_text = "".join(
    f"At ψ = {psi} its mean is even below the floor's, by {floor - by_psi[psi]['fid']:.2f} "
    f"({(floor - by_psi[psi]['fid']) / floor_std:.1f} floor std). That does not make it better than real: the true "
    "distance is smaller than this N can resolve. The generated FID is one draw of N images, and each set's own share of "
    "FID's bias depends on how its features spread, so a distribution very close to the real one can come out a little "
    "below two real sets. " for psi in under_floor)
recall_rises = all(a["recall"] <= b["recall"] + 0.01 for a, b in zip(curve, curve[1:]) if b["psi"] <= 1.0)
""")
finding("""
* **Recall** {'grows' if recall_rises else 'does not grow steadily'} with ψ up to ψ = 1: it is **{by_psi[lowest]['recall']:.2f}**
  at ψ = {lowest} and **{by_psi[1.0]['recall']:.2f}** at ψ = 1 — at small ψ the samples sit in a small region of
  feature space and much of the real variety is missing.
* **Class consistency** is lowest at ψ = {least_consistent} (**{by_psi[least_consistent]['consistency']:.2f}**, against
  **{max(c['consistency'] for c in curve):.2f}** at best) and **precision** at ψ = {least_precise}
  (**{by_psi[least_precise]['precision']:.2f}**, against **{max(c['precision'] for c in curve):.2f}** at best).
  {'Neither rises as ψ falls to its smallest value: here truncation costs variety and buys no fidelity.' if least_consistent == lowest and least_precise == lowest else 'They do not move together with truncation, so read both.'}
* **FID** is worst at ψ = {worst_fid} (**{by_psi[worst_fid]['fid']:.2f} ± {by_psi[worst_fid]['fid_std']:.2f}**, against a floor
  of **{floor:.2f} ± {floor_std:.2f}**), and its **mean term** there is **{by_psi[worst_fid]['mean']:.2f}**, the rest being
  the covariance term.
  {('At ψ = ' + ', '.join(map(str, at_floor)) + ' it is no higher than the floor’s mean + 2 std: with ' + str(n) + ' images this feature space cannot tell those sets from real renders, so FID does not rank them.') if at_floor else 'At every ψ it lies above the floor’s mean + 2 std.'}
  {under_text}
""")
md("""
Why truncation helps so little here: for a strong generator such as BigGAN, truncation raises fidelity — less
variety, but better images, which is why the trick is used. Each latent of `shapes-biggan` stands for the factors it
was trained to render, so truncating it below ψ = 1 asks for centred, mid-sized objects rather than for better-drawn
ones (notebook 01 says why). Measuring both sides is what reveals this. FID mixes two failures into one number —
images that look wrong move the mean, images that are all alike shrink the covariance; precision and recall, or FID's
two terms, tell which one is happening. For a generator that truncation helps, the precision–recall points run from
the top left (small ψ: high precision, low recall) to the bottom right.

With `USE_PRETRAINED = True` the same cells measure BigGAN-deep, where precision and class consistency should rise
as ψ falls, and recall drop — the trade-off of the BigGAN paper (Brock et al., 2019).

The probe can also read *what* variety is lost. `read_factors` returns its estimate of x, y, scale and hue for every
image; `factor_spread` gives the 1-D Wasserstein distance of each factor's distribution to the real one (in fractions
of the image, or of the hue circle). This works in the Shapes world only, where the probe knows the factors:
""")
code("""
if not USE_PRETRAINED:   # the probe's factors exist only in the Shapes world
    from latentlab.metrics import factor_spread, read_factors

    real_factors = read_factors(probe, real[:n])
    spread = {}
    print("  psi  W(x)  W(y)  W(scale)  W(hue)    std(x)  mean(scale)")
    for psi in psis:
        r = read_factors(probe, sets[psi])
        spread[psi] = w = factor_spread(r, real_factors) | {"std_x": r.x.std().item()}
        print(f"{psi:5.2f}  {w['x']:4.2f}  {w['y']:4.2f}  {w['scale']:8.2f}  {w['hue']:6.2f}  {r.x.std():8.2f}  {r.scale.mean():11.2f}")
    print(f" real  {'':32s}{real_factors.x.std():8.2f}  {real_factors.scale.mean():11.2f}")
""")
finding("""
{'' if USE_PRETRAINED else f"At ψ = {lowest} the x positions are **{spread[lowest]['x']:.2f}** of the image width away from the real distribution (Wasserstein), and their spread is **{spread[lowest]['std_x']:.2f}** against **{real_factors.x.std():.2f}** for real renders: the objects crowd near the centre. At ψ = 1 the distance is **{spread[1.0]['x']:.2f}** and the spread **{spread[1.0]['std_x']:.2f}**."}
""")
md("""
## 3. Classifier-based evaluation
### Images made for a class
For a class-conditional generator the simplest check is direct: ask for a class, and count how often a classifier
trained on real data reads that class back. We do it with the probe on the ψ = 1 images from the setup, which were
made with balanced classes. First the classifier on *real* images: its accuracy there is the ceiling for what it can
confirm on generated ones.
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

real_matrix = confusion(labels_real, predicted_real)
gen_matrix = confusion(asked, predicted)
real_accuracy = (real_matrix.diag().sum() / real_matrix.sum()).item()
gen_accuracy = (gen_matrix.diag().sum() / gen_matrix.sum()).item()
width = max(len(s) for s in names) + 2
print(f"{'class':{width}s} positive  negative  accuracy   (on real images)")
for i, name in enumerate(names):
    pos, total = gen_matrix[i, i].item(), gen_matrix[i].sum().item()
    print(f"{name:{width}s} {pos:8d} {total - pos:9d} {pos / total:9.2f}   ({real_matrix[i, i] / real_matrix[i].sum():.2f})")
pos = gen_matrix.diag().sum().item()
print(f"{'TOTAL':{width}s} {pos:8d} {len(asked) - pos:9d} {gen_accuracy:9.2f}   ({real_accuracy:.2f})")
""")
code("""
fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), dpi=100)
columns = names + ["other"] * other
for ax, matrix, title in [(axes[0], real_matrix, "real images"), (axes[1], gen_matrix, "generated images (psi = 1)")]:
    share_matrix = (matrix / matrix.sum(dim=1, keepdim=True)).numpy()
    ax.imshow(share_matrix, cmap="Blues", vmin=0, vmax=1)
    if len(CLASSES) <= 10:
        for i in range(share_matrix.shape[0]):
            for j in range(share_matrix.shape[1]):
                ax.text(j, i, f"{share_matrix[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if share_matrix[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(columns)), columns, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set(xlabel="classifier says", ylabel="image made as", title=title)
fig.tight_layout(); plt.show()
misses = int((gen_matrix.sum() - gen_matrix.diag().sum()).item())
""")
finding("""
On real images the classifier reads **{real_accuracy:.1%}** of the classes right; on the generated ones it confirms
**{gen_accuracy:.1%}** of the classes asked for, with **{misses}** misread image{'' if misses == 1 else 's'} out of
{len(asked)}.
""")
md("""
Each row of a confusion matrix is one class the images were made for; each column is what the classifier read. A
perfect generator (and classifier) puts everything on the diagonal. A matrix says more than the overall accuracy: an
accuracy of three in four could mean every class drawn a little wrong, or one class drawn as another (an earlier
`shapes-biggan`, which drew its objects in place, had most of its squares read as hearts). Komorowski and Domagała
(2021) read their matrices the same way: BigGAN's "deer" looked like dogs, and its birds, cars and trucks were often
read as airplanes.

Looking at the images behind the numbers is part of the method. Here are the generated images the classifier did
*not* confirm (up to 16), each labelled with what it was made as and what was read:
""")
code("""
wrong = (predicted != asked).nonzero().flatten()[:16]
if len(wrong):
    show(generated[wrong], nrow=8, labels=[f"{G.class_names[int(asked[i])][:9]}→{G.class_names[int(predicted[i])][:9]}" for i in wrong.tolist()],
         title="generated images the classifier misread: made as → read as")
else:
    print("the classifier confirmed every generated image")
""")
md("""
### Images evolved from text (Komorowski and Domagała, 2021, ch. 5)
Komorowski and Domagała search BigGAN's latent space with a genetic algorithm or differential evolution, using the
similarity of CLIP (Radford et al., 2021) to a prompt such as "a photo of a dog" as the fitness, as Galatolo et al.
(2021) do, and then evaluate the *results of the search*: a
classifier trained on real data says which class each evolved image shows, and the per-class agreement with the
prompt measures how well text-to-image worked. Here we do the same with `latentlab.evolve` (notebook 04) on
`shapes-biggan`: for a few prompts that name a shape and a colour, a short CMA-ES (Hansen, 2016) search over z and the class logits
with `shapes-clip` as the fitness; then the probe — a different network from the one that was optimised — reads the
shape and the colour of each of the best images of the final population.

The budget is small (`POPULATION` candidates for `GENERATIONS` generations per prompt: 16 and 10 on a CPU) so that the
notebook stays fast; notebook 04
compares the optimizers and their budgets.
""")
code('''
from latentlab import evolve
from latentlab.assessors.clip import CLIPAssessor

if USE_PRETRAINED:   # class fixed, z searched (notebook 04 says why); ResNet-50 then checks the class is still there
    PROMPTS = {"a photo of a church": (497, None), "a photo of a golf ball": (574, None), "a photo of a parachute": (701, None)}
    GENERATIONS, POPULATION, TOP = 30, 32, 8
    fitness_of = lambda prompt: CLIPAssessor(prompt, model="ViT-B-32/openai", device=device)
    search_of = lambda target: {"space": "z", "classes": target}
else:                # z and the class logits searched: the prompt chooses the shape
    PROMPTS = {"a red star": ("star", "red"), "a blue circle": ("circle", "blue"), "a purple square": ("square", "purple")}
    GENERATIONS, POPULATION, TOP = 10, 16, 8
    fitness_of = lambda prompt: CLIPAssessor(prompt)
    search_of = lambda target: {}

evolved = {prompt: evolve(prompt, G, fitness_of(prompt), optimizer="cma", generations=GENERATIONS, population=POPULATION,
                          seed=0, **search_of(target)).images[:TOP].cpu()
           for prompt, (target, colour) in PROMPTS.items()}
''')
md("""
The reading is one small function: the class the judge sees and, in the Shapes world, the named colour nearest to
the hue the probe reads (the colour names are those of the captions `shapes-clip` was trained on).
""")
code('''
def read_back(images):
    """What the judge reads in each image: (class, colour name or None)."""
    if USE_PRETRAINED:
        return [(c, None) for c in classifier.predict(images.to(device), batch_size=100).cpu().tolist()]
    from latentlab.data.colours import nearest_colour
    with torch.no_grad():
        out = probe(images, with_mask=False)
    return list(zip([G.class_names[i] for i in out.shape.tolist()], nearest_colour(out.hue)))

def describe(read):
    """A short label for one reading: "red star", or an ImageNet class name."""
    cls, colour = read
    return G.class_names[cls][:14] if colour is None else f"{colour} {cls}"

agreement = {}
print(f"the best {TOP} of each final population, read by the judge")
print(f"{'prompt':24s} class  colour  both")
for prompt, (target, colour) in PROMPTS.items():
    reads = read_back(evolved[prompt])
    right_class = [c == target for c, _ in reads]
    right_colour = [colour is None or k == colour for _, k in reads]
    agreement[prompt] = dict(reads=reads, cls=np.mean(right_class), colour=np.mean(right_colour),
                             both=np.mean([a and b for a, b in zip(right_class, right_colour)]))
    a = agreement[prompt]
    print(f"{prompt:24s} {a['cls']:5.2f} {a['colour']:7.2f} {a['both']:5.2f}")
overall = {key: np.mean([a[key] for a in agreement.values()]) for key in ("cls", "colour", "both")}
print(f"{'all prompts':24s} {overall['cls']:5.2f} {overall['colour']:7.2f} {overall['both']:5.2f}")
show(torch.cat(list(evolved.values())), nrow=TOP, row_labels=list(PROMPTS),
     labels=[describe(read) for a in agreement.values() for read in a["reads"]],
     title=f"best {TOP} of each search (rows: prompt), labelled with what the judge reads")
hardest = min(agreement, key=lambda p: agreement[p]["both"])
''')
finding("""
Over the {len(PROMPTS)} prompts the judge reads the prompt's class in **{overall['cls']:.0%}** of the evolved images
{'' if USE_PRETRAINED else f"and its colour in **{overall['colour']:.0%}**; both are right in **{overall['both']:.0%}**"}.
{('The hardest prompt was "' + hardest + '" (**' + format(agreement[hardest]['both'], '.0%') + '** of its images fully right).') if agreement[hardest]['both'] < 1 else 'Every judged image matched its prompt.'} With a budget of
{GENERATIONS} generations of {POPULATION}, that is what this search delivers; notebook 04 shows how the agreement
changes with the optimizer and its budget.
""")
md("""
### Pitfalls of classifier-based evaluation
* The classifier's own accuracy on real images bounds what it can confirm (ResNet-50 reads about three ImageNet
  photos in four correctly). Always report it beside the generated accuracy, as in the table of images made for a class.
* A classifier can be right for the wrong reason. Komorowski and Domagała (2021) found BigGAN's "airplanes" confirmed
  because of the blue sky, not the plane.
* Never evaluate with the model you optimised against. A search that maximises one classifier's (or CLIP's) score
  finds images that fool it; judge them with a different model, as the text-to-image evaluation above does (CLIP searches, the probe checks).

## Summary
| metric | needs real images | measures | watch out for |
|---|---|---|---|
| IS | no | confident predictions + many classes | blind to variety within a class and to realism; at most the number of classes |
| FID | yes | distance between feature Gaussians | biased by N: N ≫ d, compare at equal N, report the floor and its spread; feature space and preprocessing |
| KID | yes | kernel distance between feature sets | unbiased but noisy: report its spread; shown × 10³ |
| precision / recall | yes | fidelity and variety separately | depend on N and the neighbourhood size k |
| classifier accuracy | no (a classifier trained on them) | per-class fidelity, confusions, text-to-image agreement | classifier ceiling, shortcuts, never the optimised model |

The repository's benchmarks measure the truncation curve of `shapes-biggan` on 10,000 samples per ψ;
`latentlab.metrics.inception.inception_metrics(generated, real)` computes Inception IS/FID/KID for natural images.

## Exercises
Exercise 3 reads its images with the probe, so it needs `USE_PRETRAINED = False`.
""")
nb.exercise(
    "FID in the raw features",
    "Repeat the floor study of section 1 (the sample-size pitfall) in the probe's raw features (`feats_real`, "
    "`feats_g`, of dimension 256) at N = 100 and at the full size of the pools. Can you tell the generated set from a "
    "real one there? Compare the gap between the two FIDs with their spreads, and with the reduced space.",
    "Draw the random sets exactly as the sample-size study does and call `fid_of` on the raw features instead of the "
    "reduced ones. At N = 100 the covariance estimate has fewer samples than dimensions.",
    '''
rng = torch.Generator().manual_seed(0)
for n in [100, N_POOL]:
    floors, gens = [], []
    for _ in range(SPLITS):
        order = torch.randperm(2 * N_POOL, generator=rng)
        a, b = order[:n], order[n:2 * n]
        g = torch.randperm(N_POOL, generator=rng)[:n]
        floors.append(fid_of(feats_real[b], feats_real[a]))
        gens.append(fid_of(feats_g[g], feats_real[a]))
    gap, noise = np.mean(gens) - np.mean(floors), np.std(floors)
    print(f"raw {D}-d features, N = {n} (N/d = {n / D:.1f}): floor {np.mean(floors):6.1f} ± {noise:5.1f}, "
          f"generated {np.mean(gens):6.1f} ± {np.std(gens):5.1f}; gap {gap:+.1f} = {gap / noise:+.1f} floor std "
          f"({'clearly above the floor' if gap > 2 * noise else 'lost in the noise'})")
    m, s = mean[n], std[n]
    print(f"   reduced {K}-d features, same N:  floor {m[0]:6.2f} ± {s[0]:5.2f}, generated {m[1]:6.2f} ± {s[1]:5.2f}; "
          f"gap {(m[1] - m[0]) / s[0]:+.1f} floor std")
''')
nb.exercise(
    "Extrapolate to infinitely many images (FID∞)",
    "Chong and Forsyth (2020) note that FID's bias is about linear in 1/N. Fit `FID(N) = FID∞ + c / N` to the mean "
    "floor and the mean generated FID of the sample-size study, and extrapolate to 1/N → 0. Is the floor's FID∞ near 0? What "
    "is the generator's?",
    "`np.polyfit(1 / np.array(SIZES), values, 1)` returns the slope c and the intercept FID∞. Plot FID against 1/N "
    "to see whether a line fits.",
    '''
inv = 1 / np.array(SIZES)
fig, ax = plt.subplots(figsize=(5.5, 3.4), dpi=100)
for column, label in [(0, "real vs real (floor)"), (1, "generated vs real")]:
    values = np.array([mean[n][column] for n in SIZES])
    slope, intercept = np.polyfit(inv, values, 1)
    ax.plot(inv, values, "o", label=f"{label}: FID∞ = {intercept:.2f}")
    ax.plot([0, inv.max()], [intercept, intercept + slope * inv.max()], "--", c=ax.lines[-1].get_color())
    print(f"{label:22s} FID∞ = {intercept:5.2f}, slope c = {slope:6.1f}")
ax.set(xlabel="1 / N", ylabel="FID (reduced features)", title="FID against 1/N, extrapolated to N → ∞")
ax.legend(fontsize=8); fig.tight_layout(); plt.show()
''')
nb.exercise(
    "Judge a prompt with a position",
    "Evolve \"a red star in the top left\" with an even smaller budget (6 generations of 16) and judge the best 8 images with the probe: "
    "shape, colour and position. Which part of the prompt does the search get right least often?",
    "`read_factors(probe, images)` gives x and y (fractions of the image, y down); "
    "`latentlab.data.captions.position_words(x, y)` names the region as the captions do.",
    '''
from latentlab.data.captions import position_words
from latentlab.data.colours import nearest_colour
from latentlab.metrics import read_factors

prompt = "a red star in the top left"
best = evolve(prompt, G, CLIPAssessor(prompt), optimizer="cma", generations=6, population=16, seed=0).images[:8]
r = read_factors(probe, best)
shapes = [G.class_names[i] for i in r.shape.tolist()]
colours = nearest_colour(r.hue)
places = [position_words(float(x), float(y)) for x, y in zip(r.x, r.y)]
show(best, nrow=8, labels=[f"{c} {s}, {p}" for c, s, p in zip(colours, shapes, places)], title=prompt)
for part, hits in [("shape", [s == "star" for s in shapes]), ("colour", [c == "red" for c in colours]),
                   ("position", [p == "top left" for p in places])]:
    print(f"{part:8s} right in {np.mean(hits):.0%} of the best 8")
''')
nb.references("heusel2017", "binkowski2018", "chong2020", "salimans2016", "kynkaanniemi2019", "brock2019",
              "komorowski2021", "galatolo2021", "radford2021", "hansen2016")

nb.write()
