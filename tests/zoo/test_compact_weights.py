"""Compacted weights files: kept rows exact, the others the seeded fill, float16 read back as float32."""

import json

import pytest
import torch

from latentlab.errors import CorruptFileError
from latentlab.zoo.checkpoints import load_state, save_model
from latentlab.zoo.compact_weights import COMPACT_KEY, compact_rows, expand_rows, seeded_fill


class Table(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(50, 4)
        self.linear = torch.nn.Linear(4, 3)


def test_kept_rows_survive_and_the_rest_is_the_seeded_fill(tmp_path):
    torch.manual_seed(0)
    model = Table()
    path = save_model(model, tmp_path / "t.safetensors", "Table", {}, compact={"embedding.weight": ([3, 7, 7, 49], 5, 0.5)})
    state = load_state(path)
    original = model.embedding.weight.detach()
    assert torch.equal(state["embedding.weight"][[3, 7, 49]], original[[3, 7, 49]])
    fill = seeded_fill((50, 4), 5, 0.5)
    others = [i for i in range(50) if i not in (3, 7, 49)]
    assert torch.equal(state["embedding.weight"][others], fill[others])
    assert torch.equal(state["linear.weight"], model.linear.weight.detach())


def test_half_precision_is_read_back_into_a_float32_model(tmp_path):
    torch.manual_seed(1)
    model = Table()
    state = load_state(save_model(model, tmp_path / "h.safetensors", "Table", {}, half=True))
    assert state["linear.weight"].dtype == torch.float16
    fresh = Table()
    fresh.load_state_dict(state)
    assert fresh.linear.weight.dtype == torch.float32
    assert torch.allclose(fresh.linear.weight, model.linear.weight, atol=1e-3)


def test_bad_row_ids_and_tables_are_refused_by_name():
    state = Table().state_dict()
    with pytest.raises(ValueError, match=r"\[0, 50\)"):
        compact_rows(state, "embedding.weight", [50])
    with pytest.raises(ValueError, match="'linear.bias' is not a 2-d table"):
        compact_rows(state, "linear.bias", [0])


def test_a_file_whose_compaction_metadata_lies_is_named_corrupt(tmp_path):
    from safetensors.torch import save_file

    state, meta = compact_rows(Table().state_dict(), "embedding.weight", [1, 2])
    spec = json.loads(meta[COMPACT_KEY])
    spec["embedding.weight"]["shape"] = [1, 4]  # fewer rows than the kept ids reach
    path = tmp_path / "bad.safetensors"
    save_file(state, str(path), metadata={COMPACT_KEY: json.dumps(spec)})
    with pytest.raises(CorruptFileError, match="bad.safetensors"):
        load_state(path)
    with pytest.raises(ValueError, match=COMPACT_KEY):
        expand_rows(state, {COMPACT_KEY: "not json"})


def test_the_embedded_clip_is_compact_and_reads_back_whole():
    from latentlab.zoo import get_model_entry
    from latentlab.zoo.loader import embedded_path

    path = embedded_path(get_model_entry("shapes-clip"))
    assert path.stat().st_size < 6 * 2**20
    table = load_state(path)["token_embedding.weight"]
    assert tuple(table.shape) == (49408, 64)
