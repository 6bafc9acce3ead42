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

Seed 001 makes images from text without training anything: it searches a GAN's latent space with an evolutionary
algorithm, using CLIP's similarity between the generated image and the prompt as the fitness. latentlab's
`evolve` does exactly that with any generator, assessor and optimizer:

```python
result = latentlab.methods.evolve("a red star", generator="shapes-biggan", optimizer="ga", generations=30, population=32)
```

Here we run a **genetic algorithm**, **differential evolution** and **CMA-ES** side by side on the embedded
`shapes-biggan` with `shapes-clip` as the judge, at the same budget. The search space is the generator's latent z plus
five class logits, so the search may choose the class too.
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
import torch
import matplotlib.pyplot as plt
from latentlab import load_generator, show_grid as show
from latentlab.assessors.clip import CLIPAssessor
from latentlab.methods import evolve

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

""")
md("""
## 1. Three optimizers, one interface
Each run evaluates its whole population in one batched generator pass and one assessor pass per generation.
A callback keeps the population's images every few generations so we can watch it evolve.
""")
code("""
snapshots = {}

def keep_population(name):
    def callback(generation, x, fit, result):
        if generation in SNAPSHOTS:
            order = fit.argsort(descending=True)[:8]
            with torch.no_grad():
                snapshots[(name, generation)] = torch.stack([G(*decode(x[i:i + 1]))[0] for i in order])
    return callback

def decode(x):   # flat search vector -> (z, class input), as evolve's objective does
    x = x.to(G.device)
    if "classes" in SEARCH:   # the class is fixed: the vector is z alone
        return x, G.classes(SEARCH["classes"], x.shape[0])
    return x[:, :G.latent_dim], torch.softmax(x[:, G.latent_dim:], dim=1)

results = {}
for name in ["ga", "de", "cma"]:
    results[name] = evolve(prompt, G, fitness, optimizer=name, generations=GENERATIONS, population=POPULATION, seed=0,
                           callbacks=[keep_population(name)], progress=False, **SEARCH)
    print(f"{name:4s} best fitness {results[name].best_fitness:.3f}")
""")
md("""
## 2. The population grid per generation
The top eight individuals of the first, a middle and the last generation for each optimizer (best on the left).
""")
code("""
for name in ["ga", "de", "cma"]:
    show(torch.cat([snapshots[(name, g)] for g in SNAPSHOTS]), nrow=8, scale=0.8,
         title=f"{name.upper()}: generations {', '.join(map(str, SNAPSHOTS))} (top to bottom)")
""")
md("""
## 3. Fitness curves
The best-so-far fitness and the population mean ± std per generation. Seed 001 found DE's population to stay more
diverse than the GA's; `python -m benchmarks.optimizers` repeats the comparison over 20 seeds and five prompts.
""")
code("""
fig, axes = plt.subplots(1, 3, figsize=(13, 3.2), sharey=True)
for ax, name in zip(axes, ["ga", "de", "cma"]):
    results[name].plot_fitness(ax=ax)
    ax.set_title(name.upper())
plt.tight_layout(); plt.show()
""")
md("""
## 4. The results, and what the probe thinks of them
The final population of each run is sorted by fitness. We show the best four of each and ask `shapes-probe` whether
they really are red stars — a check that does not depend on CLIP (seed 001 ch. 5 evaluates with a classifier in the same
way; notebook 07 does it in detail). The probe reads Shapes-world images only, so with BigGAN-deep only the images are shown.
""")
code("""
best = torch.cat([results[name].images[:4] for name in ["ga", "de", "cma"]])
show(best, nrow=4, title="best four of GA, DE and CMA-ES (rows)")
if not USE_PRETRAINED:   # the probe reads Shapes-world images only
    from latentlab import load_probe
    from latentlab.data.colours import nearest_colour
    probe = load_probe()
    with torch.no_grad():
        out = probe(best, with_mask=False)
    shapes = [G.class_names[i] for i in out.shape.tolist()]
    colours = nearest_colour(out.hue)
    for row, name in enumerate(["ga", "de", "cma"]):
        print(f"{name:4s}", ", ".join(f"{c} {s}" for c, s in zip(colours[row * 4:row * 4 + 4], shapes[row * 4:row * 4 + 4])))
""")
md("""
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
state = pathlib.Path(tempfile.mkdtemp()) / "state.safetensors"
first = evolve(prompt, G, fitness, optimizer="de", generations=4, population=16, seed=1, state_path=state, progress=False, **SEARCH)
resumed = evolve(prompt, G, fitness, optimizer="de", generations=8, population=16, seed=1, state_path=state, progress=False, **SEARCH)
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
from IPython.display import display
from latentlab.widgets import EvolutionGallery

gallery = EvolutionGallery(prompt, G, fitness, optimizer="ga", generations=6, population=16, seed=0, **SEARCH)
display(gallery)
result = gallery.run(blocking=True)   # returns the EvolutionResult
""", ignore_output=True)
code("""
print(f"{len(gallery.state.history)} generations, best fitness {gallery.state.best_fitness:.2f}")
""")

nb.write()
