"""Build notebooks/04_evolution.ipynb (run it afterwards to store outputs):

    .venv/bin/python notebooks/build/make_nb04.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False \\
        notebooks/04_evolution.ipynb
"""

from course import CourseNotebook

nb = CourseNotebook("04_evolution")
md, code = nb.md, nb.code

md(f"""
{nb.badge}

# 04 · Evolution: text-to-image by searching the latent space

Komorowski and Domagała (2021) make images from text without training anything: they search a GAN's latent space with
an evolutionary algorithm, using CLIP's similarity between the generated image and the prompt (Radford et al., 2021)
as the fitness — the approach Galatolo et al. (2021) also take. latentlab's `evolve` does exactly that with any
generator, assessor and optimizer:

```python
result = latentlab.methods.evolve("a red star", model="shapes-biggan", optimizer="ga", generations=30, population=32)
```

Here we run a **genetic algorithm** (GA), **differential evolution** (DE; Storn and Price, 1997) and **CMA-ES**
(Hansen, 2016) side by side on the embedded `shapes-biggan` with `shapes-clip` as the judge, at the same small budget.
The search space is the generator's latent z plus five class logits, so the search may choose the class too. Then we
check what each one really found, with a judge that is not CLIP.
""")
nb.install_cell()
code("""
# On a GPU runtime (e.g. Colab), set this to True to search BigGAN-deep 128 (a 211 MB download into the cache) for
# "a red sports car", judged by OpenAI's CLIP ViT-B/32 (605 MB), with a larger budget. The class is then fixed to
# "sports car" and only z is searched: choosing among 1,000 class logits as well would need a far longer search.
# With False nothing is downloaded and everything runs on a CPU.
USE_PRETRAINED = False
""")
code("""
from collections import Counter

import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display

from latentlab import load_generator, load_probe, show_grid as show
from latentlab.assessors.clip import CLIPAssessor
from latentlab.data import SHAPES, nearest_colour, render, sample_factors
from latentlab.methods import evolve
from latentlab.optim import LatentObjective

torch.set_num_threads(2)
if USE_PRETRAINED:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    G = load_generator("biggan-deep-128", device=device)
    prompt = "a red sports car"
    fitness = CLIPAssessor(prompt, model="ViT-B-32/openai", device=device)
    SEARCH = {"space": "z", "classes": "sports car"}   # search z only, with the class fixed
    GENERATIONS, POPULATION, SNAPSHOTS = 30, 32, (1, 10, 30)
else:
    G = load_generator("shapes-biggan")
    prompt = "a red star"
    fitness = CLIPAssessor(prompt)          # built once, shared by the three runs
    SEARCH = {}                             # the default for a conditional generator: z plus class logits
    GENERATIONS, POPULATION, SNAPSHOTS = 12, 16, (1, 5, 12)
OPTIMIZERS = {"ga": "GA", "de": "DE", "cma": "CMA-ES"}
""")
md("""
## 1. Three optimizers, one interface
Each run evaluates its whole population in one batched generator pass and one assessor pass per generation.
A callback keeps the population's images every few generations so we can watch it evolve; it renders the search
vectors through a `LatentObjective`, the same mapping from search vector to image that `evolve` uses.
""")
code("""
objective = LatentObjective(G, fitness, space=SEARCH.get("space", "z+class"), classes=SEARCH.get("classes"))
snapshots = {}

def keep_population(name):
    \"\"\"A callback that keeps the best eight images of the generations in SNAPSHOTS.\"\"\"
    def callback(generation, x, fit, result):
        if generation in SNAPSHOTS:
            with torch.no_grad():
                snapshots[(name, generation)] = objective.images(x[fit.argsort(descending=True)[:8]])
    return callback

results = {}
for name in OPTIMIZERS:
    results[name] = evolve(prompt, model=G, assessor=fitness, optimizer=name, generations=GENERATIONS,
                           population=POPULATION, seed=0, callbacks=[keep_population(name)], **SEARCH)
    print(f"{OPTIMIZERS[name]:7s} best fitness {results[name].best_fitness:.3f}")
""")
md("""
## 2. The population grid per generation
The top eight individuals of the first, a middle and the last generation for each optimizer (best on the left).
""")
code("""
for name, label in OPTIMIZERS.items():
    show(torch.cat([snapshots[(name, g)] for g in SNAPSHOTS]), nrow=8,
         row_labels=[f"generation {g}" for g in SNAPSHOTS], col_labels=[f"#{i + 1}" for i in range(8)],
         title=f"{label}: the best eight of generations {', '.join(map(str, SNAPSHOTS))}")
""")
md("""
## 3. Fitness curves
The best-so-far fitness and the population mean ± std per generation. A population has *converged* when its mean
has come up to its best and its spread has shrunk: from then on it searches near one solution only. Komorowski and
Domagała (2021) compared GA and DE on exactly this task; the repository's benchmarks repeat the comparison over many
seeds and prompts. Here we read it off one run.
""")
code("""
fig, axes = plt.subplots(1, 3, figsize=(13, 3.4), dpi=100, sharey=True)
for ax, (name, label) in zip(axes, OPTIMIZERS.items()):
    results[name].plot_fitness(ax=ax)
    ax.set_title(f"{label}: {prompt!r}")
fig.suptitle(f"fitness (CLIP similarity) per generation, population {POPULATION}")
plt.tight_layout(); plt.show()

mid = GENERATIONS // 2
at = lambda name, generation, key: results[name].history[generation - 1][key]
convergence = {name: {"mean_mid": at(name, mid, "mean"), "mean_end": at(name, GENERATIONS, "mean"),
                      "std_end": at(name, GENERATIONS, "std"), "best": results[name].best_fitness} for name in OPTIMIZERS}
for name, c in convergence.items():
    print(f"{OPTIMIZERS[name]:7s} mean at generation {mid}: {c['mean_mid']:.3f}, at {GENERATIONS}: {c['mean_end']:.3f} "
          f"(std {c['std_end']:.3f}); best {c['best']:.3f}")
""")
code("""
ga, de = convergence["ga"], convergence["de"]
slower_early, slower_late = de["mean_mid"] < ga["mean_mid"], de["mean_end"] < ga["mean_end"]
pace = ("slower" if slower_early else "faster") if slower_early == slower_late else \\
       f"{'slower' if slower_early else 'faster'} at first and {'slower' if slower_late else 'faster'} by the end"
de_ahead = de["best"] > ga["best"]
outcome = f"DE's best so far ends {'higher' if de_ahead else 'lower'} than the GA's ({de['best']:.3f} against {ga['best']:.3f})"
if slower_late and de_ahead:
    outcome = "Slower convergence is not a worse result, though: " + outcome
    if de["std_end"] > ga["std_end"]:
        outcome += ", as its more diverse population keeps exploring"
best_name = max(convergence, key=lambda n: convergence[n]["best"])
""")
nb.finding("""
Measured by the population mean, DE converges **{pace}** than the GA in this run: its mean fitness is
**{de["mean_mid"]:.3f}** against the GA's **{ga["mean_mid"]:.3f}** at generation {mid} and **{de["mean_end"]:.3f}**
against **{ga["mean_end"]:.3f}** at generation {GENERATIONS}, with a spread of {de["std_end"]:.3f} against
{ga["std_end"]:.3f} at the end. That {"agrees" if slower_early else "does not agree"} with Komorowski and Domagała
(2021), who report that DE starts converging slower than GA. {outcome}. The best fitness of all three is
{OPTIMIZERS[best_name]}'s, **{convergence[best_name]["best"]:.3f}**.
""")
md("""
## 4. The results, and what the probe thinks of them
A high CLIP score is not yet a red star. Each final population is sorted by fitness; we show the best four of each
and ask `shapes-probe`, a classifier of shape and colour trained on renders, what every image of the final population
shows — a check that does not depend on CLIP (Komorowski and Domagała, 2021, ch. 5 evaluate with a classifier in the
same way; notebook 07 does it in detail). The probe reads Shapes-world images only, so with BigGAN-deep only the
images are shown.
""")
code("""
def probe_labels(images):
    \"\"\"'colour shape' for each image, as shapes-probe reads it.\"\"\"
    with torch.no_grad():
        out = probe(images, with_mask=False)
    return [f"{c} {s}" for c, s in zip(nearest_colour(out.hue), (SHAPES[i] for i in out.shape.tolist()))]

def describe(labels):
    \"\"\"'12 red triangles, 4 red stars' from a list of labels.\"\"\"
    return ", ".join(f"{n} {label}{'s' if n > 1 else ''}" for label, n in Counter(labels).most_common())

best = torch.cat([results[name].images[:4] for name in OPTIMIZERS])
if USE_PRETRAINED:   # the probe reads Shapes-world images only
    show(best, nrow=4, row_labels=list(OPTIMIZERS.values()), col_labels=["#1", "#2", "#3", "#4"],
         title=f"best four of each optimizer for {prompt!r}")
else:
    probe = load_probe()
    found = {name: probe_labels(results[name].images) for name in OPTIMIZERS}
    show(best, nrow=4, labels=[label for name in OPTIMIZERS for label in found[name][:4]],
         row_labels=list(OPTIMIZERS.values()), col_labels=["#1", "#2", "#3", "#4"],
         title=f"best four of each optimizer for {prompt!r}, labelled by shapes-probe")
    for name, label in OPTIMIZERS.items():
        print(f"{label:7s} final population of {POPULATION}: {describe(found[name])}")
""")
md("""
Why would a search for "a red star" settle on anything else? Two candidates: CLIP might prefer something else, or the
search might stop at a second-best answer. The first is easy to test without any search — score real renders of
every shape in red, and of stars in other colours, with the very same fitness:
""")
code("""
if not USE_PRETRAINED:
    candidates = [("red", s) for s in SHAPES] + [(c, "star") for c in ("orange", "pink", "yellow", "blue")]
    with torch.no_grad():
        clip_scores = {f"{c} {s}": fitness(render(sample_factors(32, seed=5, shape=s, hue=c))[0]).mean().item()
                       for c, s in candidates}
    ranking = sorted(clip_scores, key=clip_scores.get, reverse=True)
    for label in ranking:
        print(f"{label:13s} {clip_scores[label]:+.3f}")
""")
code("""
def summary(name):
    \"\"\"What one optimizer's final population is, and how it compares with CLIP's ranking of real renders.\"\"\"
    top, n = Counter(found[name]).most_common(1)[0]
    rank = ranking.index(top) + 1 if top in ranking else None
    where = f"CLIP's choice no. {rank} among the renders" if rank else "not among the renders scored"
    return top, n, where

if USE_PRETRAINED:
    verdict = "The probe reads Shapes-world images only, so the BigGAN-deep results are judged by eye."
else:
    parts, missed = [], []
    for name, label in OPTIMIZERS.items():
        top, n, where = summary(name)
        parts.append(f"{label} most often **{top}s** ({n} of {POPULATION}; {where})")
        if top != "red star":
            missed.append(name)
    verdict = "; ".join(parts) + "."
    star, runner_up = ranking[0], ranking[1]
    verdict += (f" CLIP itself ranks the renders **{star}** first ({clip_scores[star]:.3f} on average) and "
                f"**{runner_up}** second ({clip_scores[runner_up]:.3f})")
    verdict += ", so it does want red stars." if star == "red star" else f", so CLIP's own preference is not a red star."
""")
nb.finding("""
What the probe reads in the final populations: {verdict}
""")
code("""
if not USE_PRETRAINED and missed:
    class_weight = {name: torch.softmax(results[name].latents[:, G.latent_dim:], dim=1).mean(0) for name in missed}
    for name in missed:
        print(f"{OPTIMIZERS[name]:7s} mean class weights of its final population: "
              + ", ".join(f"{s} {w:.2f}" for s, w in zip(SHAPES, class_weight[name].tolist())))
""")
code("""
def why_not(name):
    \"\"\"One sentence on an optimizer whose final population is mostly not red stars.\"\"\"
    colour, shape = Counter(found[name]).most_common(1)[0][0].split(" ", 1)
    weight, star = class_weight[name], SHAPES.index("star")
    if shape != "star":
        sentence = (f"{OPTIMIZERS[name]} settled on the wrong class: its final population puts a mean class weight of "
                    f"{weight[star]:.2f} on *star* and {weight.max():.2f} on *{SHAPES[int(weight.argmax())]}*")
    else:
        sentence = (f"{OPTIMIZERS[name]} has the class (a mean weight of {weight[star]:.2f} on *star*) but not the colour yet: "
                    f"its final population still holds {len(set(found[name]))} different colour–shape combinations")
    best, real_star = results[name].best_fitness, clip_scores["red star"]
    return sentence + f"; its best fitness, {best:.3f}, is {'below' if best < real_star else 'above'} the {real_star:.3f} CLIP gives real red stars."

if USE_PRETRAINED or not missed:
    why = "Every optimizer ended on red stars, CLIP's own first choice among the renders."
else:
    why = " ".join(why_not(name) for name in missed) + (
        f" With a budget of only **{GENERATIONS * POPULATION}** images ({GENERATIONS} generations of {POPULATION}), a "
        "search has little time to correct an early choice.")
""")
nb.finding("""
{why}
""")
md("""
Where CLIP does rank the red star first and an optimizer still ends elsewhere, the fault lies with the search, not the
judge. A red triangle gets the colour right and has a pointed outline, so it scores well early. The GA here is
*elitist* (the best of parents and children survive): once a few such runner-ups lead, tournaments keep picking them
as parents, uniform crossover only mixes their genes, and mutation nudges a tenth of the genes by small steps.
Switching the class means raising the star's logit above the leading class's, which small, sparse nudges do slowly,
and a child between two classes may look like neither and lose. DE's moves are differences between population
members, large while the population is still spread out; CMA-ES adapts its step size and the directions of its steps
(a covariance matrix) to the progress it makes. A longer run, a larger population or stronger mutation gives a stuck
GA more chances to switch (exercise 2).

## 5. Interrupt and resume
Give `evolve` a `state_path` and the run is saved after every generation: stop it (Ctrl-C or the stop button of the
gallery explorer) and the best result so far is returned; call it again with the same arguments to continue.
The same is available from the command line:

```
latentlab evolve "a red star in the top left" --optimizer ga --generations 50 --out run/
```
""")
code("""
import tempfile, pathlib
state = pathlib.Path(tempfile.gettempdir()) / "latentlab-04-evolution" / "state.safetensors"
state.unlink(missing_ok=True)   # start afresh: a state left by an earlier run of this cell would be resumed
first = evolve(prompt, model=G, assessor=fitness, optimizer="de", generations=4, population=16, seed=1,
               state_path=state, **SEARCH)
resumed = evolve(prompt, model=G, assessor=fitness, optimizer="de", generations=8, population=16, seed=1,
                 state_path=state, **SEARCH)
print(len(first.history), "generations, then resumed to", len(resumed.history))
print("best-so-far never decreases:", all(a["best_so_far"] <= b["best_so_far"] for a, b in zip(resumed.history, resumed.history[1:])))
""")
md("""
## 6. The evolution gallery

`EvolutionGallery` is `evolve` behind a view: the population grid of every generation (best first), a live fitness
plot, a stop button that keeps the best so far, and a button under each image to pick it as a favourite and
**continue** the search around it. Runs go to a background thread, so the notebook stays responsive while it
evolves; `run(blocking=True)` runs in the foreground, as here.
""")
code("""
from latentlab.widgets import EvolutionGallery

gallery = EvolutionGallery(prompt, G, fitness, optimizer="ga", generations=6, population=16, seed=0, **SEARCH)
display(gallery)
result = gallery.run(blocking=True)   # returns the EvolutionResult
""", ignore_output=True)
code("""
print(f"{len(gallery.state.history)} generations, best fitness {gallery.state.best_fitness:.2f}")
""")
md("""
## Exercises
The solutions use the embedded `shapes-biggan`, `shapes-clip` and `shapes-probe` whatever `USE_PRETRAINED` says.
""")
nb.exercise(
    "A prompt of your own",
    "Evolve \"a green heart\" with CMA-ES for 6 generations of 16 and ask the probe what the best four are. Then try a "
    "prompt the Shapes world cannot satisfy literally, such as \"a green cat\": what does the search settle on?",
    "`evolve(text, model=shapes, optimizer=\"cma\", generations=6, population=16, seed=0)` builds the CLIP assessor "
    "from the prompt itself; `probe_labels(result.images[:4])` reads the images (load the probe with `load_probe()`).",
    """
shapes, probe = load_generator("shapes-biggan"), load_probe()
for text in ["a green heart", "a green cat"]:
    r = evolve(text, model=shapes, optimizer="cma", generations=6, population=16, seed=0)
    show(r.images[:4], nrow=4, labels=probe_labels(r.images[:4]), title=f"{text!r}: best four (CMA-ES), labelled by the probe")
    print(f"{text!r}: best fitness {r.best_fitness:.3f}; the probe reads {describe(probe_labels(r.images))}")
""")
nb.exercise(
    "Get the GA out of its rut",
    "Rerun the GA on \"a red star\" at the same budget (12 generations of 16, seed 0), but with stronger mutation: "
    "`options={\"mutation_rate\": 0.3, \"mutation_sigma\": 1.0}`. Does its final population now hold red stars, and how do "
    "its best fitness and final spread compare with the default GA above?",
    "`results[\"ga\"]` holds the default run (on the Shapes world when `USE_PRETRAINED` is False) and `found[\"ga\"]` the "
    "probe's reading of it; `result.history[-1][\"std\"]` is a run's final spread.",
    """
shapes, star_clip, probe = load_generator("shapes-biggan"), CLIPAssessor("a red star"), load_probe()
stronger = evolve("a red star", model=shapes, assessor=star_clip, optimizer="ga", generations=12, population=16, seed=0,
                  options={"mutation_rate": 0.3, "mutation_sigma": 1.0})
runs = {"stronger mutation": stronger} if USE_PRETRAINED else {"default GA": results["ga"], "stronger mutation": stronger}
for label, r in runs.items():
    print(f"{label:17s} best {r.best_fitness:.3f}, final std {r.history[-1]['std']:.3f}: {describe(probe_labels(r.images))}")
""")
nb.exercise(
    "An assessor for \"more centred\"",
    "`evolve` accepts any function of images as its assessor. Write one that rewards a centred object — minus the "
    "distance of the probe's object centre from the middle of the image — add it to CLIP's score for \"a red star\", and "
    "compare how far from the centre the best four lie with and without it.",
    "`probe(images, with_mask=False).geometry[:, :2]` is the object's centre (x, y) as fractions of the image size; "
    "the middle is `(0.5, 0.5)`. Weigh the two terms so that neither swamps the other (distances are at most about `0.7`).",
    """
shapes, star_clip, probe = load_generator("shapes-biggan"), CLIPAssessor("a red star"), load_probe()

def off_centre(images):
    with torch.no_grad():
        return (probe(images, with_mask=False).geometry[:, :2] - 0.5).norm(dim=1)

def centred_star(images):
    return star_clip(images) - off_centre(images)

for label, assessor in [("CLIP alone", star_clip), ("CLIP + centred", centred_star)]:
    r = evolve("a red star", model=shapes, assessor=assessor, optimizer="cma", generations=6, population=16, seed=0)
    print(f"{label:15s} distance from the centre of the best four: {off_centre(r.images[:4]).mean():.3f}; "
          f"{describe(probe_labels(r.images[:4]))}")
""")
nb.references("komorowski2021", "galatolo2021", "radford2021", "storn1997", "hansen2016")

nb.write()
