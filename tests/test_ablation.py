"""The ablation runner: the paper's tables as data, orchestration, resumption and the written tables.

Most tests inject a fake trainer (it builds the model, writes a real checkpoint in the trainer's
format, and records the calls) and a fake evaluator whose metrics are a known function of the
model and the seed, so orchestration, resumption and the arithmetic of the tables can be checked
exactly and fast. One test runs the real command at the smoke preset end to end.
"""

from __future__ import annotations

import csv
import io
import math

import pytest
import torch

from aminet import ablation
from aminet.ablation import TABLES, ablation_budget, run_ablation, table_models
from aminet.checkpoint import save_checkpoint
from aminet.registry import create_model, list_models

# ---------------------------------------------------------------------------------------------
# The paper's numbers, transcribed
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["I", "II", "III", "IV", "V", "VI"])
def test_each_table_holds_exactly_its_registered_variants_plus_the_reference(key):
    table = TABLES[key]
    variants = [m for m in table_models(key) if m != table.reference]
    assert sorted(variants) == sorted(list_models(key))
    assert table.reference in table_models(key)
    assert len(set(table_models(key))) == len(table_models(key))


def test_paper_numbers_are_transcribed_as_printed():
    rows = {(k, r.model): r for k, t in TABLES.items() for r in t.rows}
    assert (rows["I", "aminet-no-rdfe"].psnr, rows["I", "aminet-no-rdfe"].ssim) == (27.51, 0.7840)
    assert (
        rows["I", "aminet-no-skaf"].params_m == 8.21 and rows["I", "aminet-no-skaf"].lpips == 0.1979
    )
    assert rows["II", "aminet-transformer-wide"].vif == 0.4511
    assert rows["III", "aminet-ffn"].params_m == 12.11
    assert (
        rows["IV", "aminet-rdfe-dw5"].psnr == 27.71 and rows["IV", "aminet-no-au"].lpips == 0.1846
    )
    assert (
        rows["V", "aminet-lgfi-skaf-bare"].ssim == 0.7919
        and rows["V", "aminet-lgfi-skaf-conv7-avgpool"].psnr == 27.79
    )
    assert (rows["VI", "sparnet-edff"].params_m, rows["VI", "sparnet-edff"].psnr) == (12.1, 27.85)
    # the full model's row is the same in Tables I-V
    for key in ("I", "II", "III", "IV", "V"):
        assert (rows[key, "aminet"].psnr, rows[key, "aminet"].ssim) == (27.83, 0.7961)


# ---------------------------------------------------------------------------------------------
# Budgets
# ---------------------------------------------------------------------------------------------


def test_budgets_narrow_every_variant_of_a_family_alike_and_fingerprint_changes_with_the_budget():
    smoke = ablation_budget("smoke")
    assert (
        smoke.width_for("aminet")
        == smoke.width_for("aminet-no-sa")
        == {"base_channels": 4, "hourglass_channels": 4}
    )
    assert set(smoke.width_for("sparnet")) == {"min_channels", "max_channels", "hourglass_channels"}
    assert smoke.width_for("sparnet") == smoke.width_for("sparnet-edff")
    paper = ablation_budget("short", narrow=False)
    assert paper.width_for("aminet") == {} and "paper's width" in paper.describe()
    assert smoke.fingerprint() == ablation_budget("smoke").fingerprint()
    assert smoke.fingerprint() != ablation_budget("smoke", steps=3).fingerprint()
    assert "2 steps x batch 2" in smoke.describe()


def test_narrow_widths_build_for_every_variant_of_every_table():
    budget = ablation_budget("smoke")
    for key in TABLES:
        for name in table_models(key):
            model = create_model(name, **budget.width_for(name))
            assert model.model_kwargs == budget.width_for(name)
    for name in ("aminet-transformer", "sparnet-edff"):  # one forward per family on its crops
        model = create_model(name, **budget.width_for(name))
        size = budget.crop_for(name)
        assert model(torch.rand(1, 3, size, size)).shape == (1, 3, size, size)
    assert budget.crop_for("sparnet") == 64 and budget.crop_for("aminet") == 32


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(steps=0), "steps"),
        (dict(crop_size=12), "crop size"),
        (dict(train_limit=1, batch_size=2), "smaller than one batch"),
        (dict(test_limit=0), "test limit"),
    ],
)
def test_bad_budgets_are_refused_with_the_field_named(overrides, message):
    with pytest.raises(ValueError, match=message):
        ablation_budget("smoke", **overrides)
    with pytest.raises(ValueError, match="unknown preset"):
        ablation_budget("medium")


# ---------------------------------------------------------------------------------------------
# Orchestration with a fake trainer and evaluator
# ---------------------------------------------------------------------------------------------
PSNR_BY_MODEL = {
    "aminet-no-sa": 25.0,
    "aminet-no-rdfe": 24.0,
    "aminet-no-skaf": 26.0,
    "aminet": 27.0,
}


class FakeTrainer:
    """Writes a checkpoint like the real trainer; can stop ("be killed") at a given call."""

    def __init__(self, kill_at_call: int | None = None, kill_at_step: int | None = None):
        self.calls: list = []
        self.kill_at_call, self.kill_at_step = kill_at_call, kill_at_step

    def __call__(self, config, *, train_set=None):
        self.calls.append(config)
        assert train_set is not None and len(train_set) == config.train_limit
        model = create_model(config.model, **config.model_kwargs)
        killed = self.kill_at_call is not None and len(self.calls) == self.kill_at_call
        step = self.kill_at_step if killed and self.kill_at_step else config.steps
        state = {
            "model_name": config.model,
            "model_kwargs": dict(config.model_kwargs),
            "model": model.state_dict(),
            "step": step,
        }
        save_checkpoint(state, f"{config.out}/last.pt")
        if killed:
            raise KeyboardInterrupt
        return {"status": "completed", "steps": step}


def fake_evaluate(model, dataset, **options):
    """PSNR = a value per model + the seed stored in a parameter-free way (model_kwargs not used)."""
    psnr = PSNR_BY_MODEL.get(model.model_name, 23.5) + fake_evaluate.seed_offset  # bicubic: 23.5
    return {"psnr_y": psnr, "ssim_y": psnr / 100, "vif": 0.1, "lpips": None, "n": len(dataset)}


fake_evaluate.seed_offset = 0.0


@pytest.fixture
def smoke():
    return ablation_budget("smoke", train_limit=2, test_limit=2)


@pytest.fixture(autouse=True)
def _tiny_data(monkeypatch):
    """Two blank faces instead of rendering SynthFaces: the fakes never look at the pixels."""

    def build(budget, echo):
        item = {
            "lr": torch.zeros(3, 16, 16),
            "input": torch.zeros(3, 128, 128),
            "hr": torch.zeros(3, 128, 128),
            "name": "x",
        }
        return [item] * budget.train_limit, [item] * budget.test_limit

    monkeypatch.setattr(ablation.runner, "_build_data", build)  # where run_ablation finds it


def test_every_variant_is_trained_with_the_same_budget_and_the_table_is_written(tmp_path, smoke):
    trainer = FakeTrainer()
    result = run_ablation(
        ["I"],
        smoke,
        out=tmp_path,
        train_fn=trainer,
        evaluate_fn=fake_evaluate,
        progress=False,
        echo=lambda s: None,
    )
    assert [c.model for c in trainer.calls] == table_models("I")
    for config in trainer.calls:
        assert (config.steps, config.batch_size, config.crop_size, config.lr) == (
            2,
            2,
            32,
            smoke.lr,
        )
        assert config.model_kwargs == smoke.width_for(config.model) and config.seed == 0
        assert config.val_limit == 0 and config.resume is None
    rows = {r["model"]: r for r in result["tables"]["I"]}
    assert (
        rows["aminet-no-rdfe"]["psnr_y"] == 24.0 and rows["aminet-no-rdfe"]["delta_psnr_y"] == -3.0
    )
    assert [
        rows[m]["rank"] for m in ("aminet", "aminet-no-skaf", "aminet-no-sa", "aminet-no-rdfe")
    ] == [1, 2, 3, 4]
    assert rows["aminet-no-rdfe"]["paper_rank"] == 4 and rows["aminet"]["paper_rank"] == 1
    assert math.isclose(rows["aminet-no-sa"]["paper_delta_psnr"], 27.75 - 27.83)
    assert rows["aminet"]["params"] == sum(
        p.numel() for p in create_model("aminet", **smoke.width_for("aminet")).parameters()
    )
    markdown = (tmp_path / f"smoke-{smoke.fingerprint()}" / "table_I.md").read_text()
    assert "2 steps x batch 2" in markdown and "seeds 0 (one seed)" in markdown
    assert (
        "Bicubic on the same test faces: PSNR-Y 23.50" in markdown
        and result["bicubic"]["psnr_y"] == 23.5
    )
    assert (
        "| LGFI w/o RDFE | `aminet-no-rdfe` |" in markdown
        and "| 24.00 |" in markdown
        and "| 27.51 |" in markdown
    )
    lines = list(
        csv.DictReader(
            io.StringIO((tmp_path / f"smoke-{smoke.fingerprint()}" / "table_I.csv").read_text())
        )
    )
    assert [line["model"] for line in lines] == table_models("I")
    assert float(lines[1]["psnr_y"]) == 24.0 and float(lines[1]["paper_psnr"]) == 27.51


def test_a_killed_ablation_resumes_without_retraining_finished_variants(tmp_path, smoke):
    killer = FakeTrainer(kill_at_call=3)
    with pytest.raises(KeyboardInterrupt):
        run_ablation(
            ["I"],
            smoke,
            out=tmp_path,
            train_fn=killer,
            evaluate_fn=fake_evaluate,
            progress=False,
            echo=lambda s: None,
        )
    run_dir = tmp_path / f"smoke-{smoke.fingerprint()}"
    finished = sorted(p.parent.parent.name for p in run_dir.glob("*/seed0/result.json"))
    assert finished == sorted(table_models("I")[:2])
    # The third variant's training finished (checkpoint at the last step) but it was not evaluated:
    # the rerun must evaluate it without training it again, and train only the fourth.
    again = FakeTrainer()
    result = run_ablation(
        ["I"],
        smoke,
        out=tmp_path,
        train_fn=again,
        evaluate_fn=fake_evaluate,
        progress=False,
        echo=lambda s: None,
    )
    assert [c.model for c in again.calls] == table_models("I")[3:]
    assert len(result["tables"]["I"]) == 4
    # a third run trains nothing at all
    idle = FakeTrainer()
    run_ablation(
        ["I"],
        smoke,
        out=tmp_path,
        train_fn=idle,
        evaluate_fn=fake_evaluate,
        progress=False,
        echo=lambda s: None,
    )
    assert idle.calls == []


def test_a_variant_killed_mid_training_continues_from_its_checkpoint(tmp_path, smoke):
    budget = ablation.with_overrides(smoke, steps=10)
    killer = FakeTrainer(kill_at_call=1, kill_at_step=4)
    with pytest.raises(KeyboardInterrupt):
        run_ablation(
            ["II"],
            budget,
            out=tmp_path,
            train_fn=killer,
            evaluate_fn=lambda m, d, **o: {"psnr_y": 1.0, "ssim_y": 0.1},
            progress=False,
            echo=lambda s: None,
        )
    again = FakeTrainer()
    run_ablation(
        ["II"],
        budget,
        out=tmp_path,
        train_fn=again,
        evaluate_fn=lambda m, d, **o: {"psnr_y": 1.0, "ssim_y": 0.1},
        progress=False,
        echo=lambda s: None,
    )
    first = again.calls[0]
    assert (
        first.model == "aminet-transformer-wide"
        and first.resume
        and first.resume.endswith("aminet-transformer-wide/seed0/last.pt")
    )
    assert again.calls[1].resume is None


def test_a_trainer_that_stops_early_is_an_error_not_a_result(tmp_path, smoke):
    def short_trainer(config, *, train_set=None):
        model = create_model(config.model, **config.model_kwargs)
        save_checkpoint(
            {
                "model_name": config.model,
                "model_kwargs": config.model_kwargs,
                "model": model.state_dict(),
                "step": 1,
            },
            f"{config.out}/last.pt",
        )
        return {"status": "completed"}

    with pytest.raises(RuntimeError, match="stopped before step 2"):
        run_ablation(
            ["III"],
            smoke,
            out=tmp_path,
            train_fn=short_trainer,
            evaluate_fn=fake_evaluate,
            progress=False,
            echo=lambda s: None,
        )
    assert not list(tmp_path.glob("**/result.json"))


def test_seeds_give_mean_and_sample_spread_and_the_shared_reference_is_trained_once(
    tmp_path, smoke
):
    trainer = FakeTrainer()

    def evaluate(model, dataset, **options):
        # seed 0 -> +0, seed 1 -> +1: the evaluator learns the seed from the trainer's last call
        offset = float(trainer.calls[-1].seed)
        if model.model_name == "bicubic":
            return {"psnr_y": 19.0, "ssim_y": 0.4}
        return {"psnr_y": 20.0 + offset + (model.model_name == "aminet"), "ssim_y": 0.5}

    result = run_ablation(
        ["II", "III"],
        smoke,
        seeds=(0, 1),
        out=tmp_path,
        train_fn=trainer,
        evaluate_fn=evaluate,
        progress=False,
        echo=lambda s: None,
    )
    trained = [(c.model, c.seed) for c in trainer.calls]
    assert trained.count(("aminet", 0)) == 1 and trained.count(("aminet", 1)) == 1
    assert len(trained) == 6  # transformer, aminet, ffn, for each of two seeds
    row = next(r for r in result["tables"]["II"] if r["model"] == "aminet-transformer-wide")
    assert row["psnr_y"] == 20.5 and math.isclose(row["psnr_y_std"], math.sqrt(0.5))
    assert row["psnr_y_per_seed"] == [20.0, 21.0] and row["seeds"] == [0, 1]
    ref = next(r for r in result["tables"]["III"] if r["model"] == "aminet")
    assert ref["psnr_y"] == 21.5 and row["delta_psnr_y"] == -1.0
    markdown = (tmp_path / f"smoke-{smoke.fingerprint()}" / "table_II.md").read_text()
    assert "20.50 ± 0.71" in markdown and "mean ± sample std over seeds" in markdown


def test_unknown_table_is_refused(tmp_path, smoke):
    with pytest.raises(ValueError, match="unknown table 'VII'"):
        run_ablation(
            ["VII"],
            smoke,
            out=tmp_path,
            train_fn=FakeTrainer(),
            evaluate_fn=fake_evaluate,
            echo=lambda s: None,
        )


def test_cli_refuses_bad_arguments_with_one_line(capsys):
    from aminet.cli import main

    assert main(["ablate", "--table", "IX"]) == 2
    assert "--table 'IX'" in capsys.readouterr().err
    assert main(["ablate", "--seeds", "0"]) == 2
    assert "--seeds must be >= 1" in capsys.readouterr().err


def test_kendall_tau_counts_agreeing_and_disagreeing_pairs():
    assert ablation.kendall_tau([1, 2, 3], [10, 20, 30]) == 1.0
    assert ablation.kendall_tau([3, 2, 1], [10, 20, 30]) == -1.0
    assert ablation.kendall_tau([1, 3, 2], [10, 20, 30]) == pytest.approx(1 / 3)
    assert ablation.kendall_tau([1, 1, 2], [10, 20, 30]) == pytest.approx(
        2 / 3
    )  # a tie counts as 0
    assert ablation.kendall_tau([1], [2]) is None
    with pytest.raises(ValueError, match="same rows"):
        ablation.kendall_tau([1, 2], [1])
