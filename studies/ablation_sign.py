"""Which sign of the ablation loss helps the search? L_F against L_T with the paper's and the public code's sign.

Eq. 8 of the paper adds w_abl·L_AB^i to each cell's loss; the public code subtracts it. This study runs short
searches on the built-in digits data (served at 8×8, its native size, to keep it cheap) with the exact gradient
of L_T^i, for several seeds, and records per epoch the α-split loss and accuracy, the marginal contributions
MC_i = L − L_{\\i} (signs and sizes), |L_AB|, the shares of dominant (σ > 0.9) and weak (σ < 0.1) ops, and at the
end the supernet's accuracy on the 360 held-out digits. Arms:

    fair            L_F = L_CE + w01·L_01 (FairDARTS)
    paper           L_T with +w_abl (Eq. 8 as printed)
    public          L_T with −w_abl (the public code's sign)
    paper-floor     paper, with |mean(MC)| floored at --floor in L_AB's denominator
    public-floor    public, with the same floor

Usage (about 10 minutes on one busy CPU core; numbers into JSON, then figures):

    OMP_NUM_THREADS=1 python studies/ablation_sign.py --out docs/ablation-loss
    python studies/ablation_sign.py --out docs/ablation-loss --plot-only   # redraw from the JSON

Needs matplotlib for the figures (`pip install -e ".[study]"`).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ddarts.data.catalogue import DIGITS_MEAN, DIGITS_STD
from ddarts.data.load import load_digits_split
from ddarts.genotype.parse import op_shares
from ddarts.search.config import SearchConfig
from ddarts.search.engine import SearchEngine

ARMS = {
    "fair": dict(loss="fair"),
    "paper": dict(loss="ablation", sign=1.0),
    "public": dict(loss="ablation", sign=-1.0),
    "paper-floor": dict(loss="ablation", sign=1.0, floor=True),
    "public-floor": dict(loss="ablation", sign=-1.0, floor=True),
}
COLOURS = {"fair": "#555555", "paper": "#d62728", "public": "#1f77b4", "paper-floor": "#ff9896",
           "public-floor": "#aec7e8"}


def digits(size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Normalised train and test images at `size` px (the library serves 32 px; 8 px is the source's size)."""
    out = []
    for split in ("train", "test"):
        data = load_digits_split(split)
        x = (data.images.float() / 255.0 - DIGITS_MEAN) / DIGITS_STD
        out += [F.adaptive_avg_pool2d(x, size), data.labels]
    return out[0], out[1], out[2], out[3]


def batches(x: torch.Tensor, y: torch.Tensor, batch: int, rng: np.random.Generator):
    while True:
        order = torch.from_numpy(rng.permutation(len(y)))
        for k in range(0, len(y) - batch + 1, batch):
            idx = order[k:k + batch]
            yield x[idx], y[idx]


def run_arm(arm: str, seed: int, args: argparse.Namespace, data) -> dict:
    spec = ARMS[arm]
    x_train, y_train, x_test, y_test = data
    torch.manual_seed(seed)
    cfg = SearchConfig(dataset="digits", cells=args.cells, init_channels=args.init_channels,
                       batch_size=args.batch_size, epochs=args.epochs, loss=spec["loss"],
                       w_abl=spec.get("sign", 1.0) * args.w_abl, ablation_grad="exact",
                       ablation_eps=args.floor if spec.get("floor") else 0.0, lr=args.lr, arch_lr=args.arch_lr,
                       arch_lr_min=args.arch_lr / 5, seed=seed, device="cpu", amp=False)
    engine = SearchEngine(cfg, 10, torch.device("cpu"))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y_train))
    half = len(order) // 2
    w_stream = batches(x_train[order[:half]], y_train[order[:half]], args.batch_size, rng)
    a_stream = batches(x_train[order[half:]], y_train[order[half:]], args.batch_size, rng)
    record: dict = {"arm": arm, "seed": seed, "w_abl": cfg.w_abl, "ablation_eps": cfg.ablation_eps, "epochs": []}
    start = time.perf_counter()
    for epoch in range(args.epochs):
        steps = [engine.layout.unpack(engine.step(next(w_stream), next(a_stream)).tolist())
                 for _ in range(args.steps)]
        mc = np.array([s["mc"] for s in steps])
        lab = np.array([s["l_ab"] for s in steps])
        shares = op_shares(engine.alphas_numpy(), cfg.mixing)
        record["epochs"].append({
            "val_loss": float(np.mean([s["val_loss"] for s in steps])),
            "val_acc": float(np.mean([s["val_acc"] for s in steps])),
            "train_loss": float(np.mean([s["train_loss"] for s in steps])),
            "mc_mean": mc.mean(axis=1).tolist(), "mc_negative_share": float((mc < 0).mean()),
            "mc_abs_median": float(np.median(np.abs(mc))), "l_ab_abs_max": float(np.abs(lab).max()),
            "dominant": shares.dominant, "low": shares.low,
        })
        engine.end_epoch()
    record["seconds"] = time.perf_counter() - start
    engine.model.eval()
    with torch.no_grad():
        logits = torch.cat([engine.model(x_test[k:k + 120]) for k in range(0, len(y_test), 120)])
    record["test_acc"] = float((logits.argmax(1) == y_test).float().mean())
    record["test_loss"] = float(F.cross_entropy(logits, y_test))
    record["alphas"] = engine.alphas_numpy().round(4).tolist()
    return record


def summarise(runs: list[dict]) -> dict:
    out = {}
    for arm in ARMS:
        mine = [r for r in runs if r["arm"] == arm]
        if not mine:
            continue
        last = [r["epochs"][-1] for r in mine]
        m_all = np.concatenate([np.array(e["mc_mean"]) for r in mine for e in r["epochs"]])
        out[arm] = {
            "final_val_loss": [e["val_loss"] for e in last], "final_val_acc": [e["val_acc"] for e in last],
            "test_acc": [r["test_acc"] for r in mine], "test_loss": [r["test_loss"] for r in mine],
            "final_dominant": [e["dominant"] for e in last], "final_low": [e["low"] for e in last],
            "seconds": [round(r["seconds"], 1) for r in mine],
        }
        if arm != "fair":
            out[arm].update({
                "steps_with_positive_mean_mc": float((m_all > 0).mean()),
                "min_abs_mean_mc": float(np.abs(m_all).min()),
                "max_inverse_abs_mean_mc": float(1.0 / np.abs(m_all).min()),
                "l_ab_abs_max": max(e["l_ab_abs_max"] for r in mine for e in r["epochs"]),
                "mc_negative_share": float(np.mean([e["mc_negative_share"] for r in mine for e in r["epochs"]])),
            })
    return out


def plot(result: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = result["runs"]
    arms = [a for a in ARMS if any(r["arm"] == a for r in runs)]

    def per_epoch(arm: str, key: str) -> np.ndarray:
        return np.array([[e[key] for e in r["epochs"]] for r in runs if r["arm"] == arm])

    def band(ax, arm: str, values: np.ndarray) -> None:
        epochs = np.arange(1, values.shape[1] + 1)
        ax.plot(epochs, values.mean(0), color=COLOURS[arm], label=arm, lw=2)
        ax.fill_between(epochs, values.min(0), values.max(0), color=COLOURS[arm], alpha=0.15)

    paths = []
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for arm in arms:
        band(axes[0], arm, per_epoch(arm, "val_loss"))
        band(axes[1], arm, per_epoch(arm, "val_acc") * 100)
        band(axes[2], arm, per_epoch(arm, "train_loss"))
    for ax, title in zip(axes, ("α-split L_CE", "α-split accuracy (%)", "weight-split L_CE")):
        ax.set_title(title)
        ax.set_xlabel("epoch")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"digits, {result['setup']['cells']} cells, C={result['setup']['init_channels']}, "
                 f"{len(result['setup']['seeds'])} seeds (line: mean, band: min–max)", fontsize=10)
    fig.tight_layout()
    paths.append(out / "sign_loss_acc.png")
    fig.savefig(paths[-1], dpi=110)

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for arm in arms:
        if arm == "fair":
            continue
        m = np.concatenate([np.array([e["mc_mean"] for e in r["epochs"]]).reshape(1, -1)
                            for r in runs if r["arm"] == arm])
        steps = np.arange(1, m.shape[1] + 1)
        for row in m:
            axes[0].plot(steps, row, color=COLOURS[arm], alpha=0.6, lw=1)
        axes[0].plot([], [], color=COLOURS[arm], label=arm)
        band(axes[1], arm, per_epoch(arm, "mc_negative_share") * 100)
        band(axes[2], arm, np.log10(per_epoch(arm, "l_ab_abs_max")))
    axes[0].axhline(0, color="k", lw=0.8)
    axes[0].set_title("mean(MC) per step (one line per seed)")
    axes[0].set_xlabel("step")
    axes[1].set_title("share of MC_i < 0 (%)")
    axes[2].set_title("log10 max |L_AB^i| in the epoch")
    for ax in axes[1:]:
        ax.set_xlabel("epoch")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "sign_mc.png")
    fig.savefig(paths[-1], dpi=110)

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for arm in arms:
        band(axes[0], arm, per_epoch(arm, "dominant") * 100)
        band(axes[1], arm, per_epoch(arm, "low") * 100)
    axes[0].set_title("dominant ops, σ(α) > 0.9 (%)")
    axes[1].set_title("weak ops, σ(α) < 0.1 (%)")
    for ax in axes:
        ax.set_xlabel("epoch")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "sign_shares.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close("all")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/ablation-loss"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--arms", nargs="+", choices=tuple(ARMS), default=list(ARMS))
    parser.add_argument("--cells", type=int, default=5)
    parser.add_argument("--init-channels", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--image-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--steps", type=int, default=4, help="steps per epoch")
    parser.add_argument("--lr", type=float, default=0.025)
    parser.add_argument("--arch-lr", type=float, default=0.05, help="α learns fast so a short run shows an effect")
    parser.add_argument("--w-abl", type=float, default=0.5, help="|w_abl|; each L_T arm applies its own sign")
    parser.add_argument("--floor", type=float, default=0.5, help="|mean(MC)| floor of the *-floor arms")
    parser.add_argument("--plot-only", action="store_true", help="redraw the figures from OUT/ablation_sign.json")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "ablation_sign.json"
    if not args.plot_only:
        torch.set_num_threads(1)
        data = digits(args.image_size)
        runs = []
        for seed in args.seeds:
            for arm in args.arms:
                runs.append(run_arm(arm, seed, args, data))
                last = runs[-1]
                print(f"seed {seed} {arm:>12}: α-split loss {last['epochs'][-1]['val_loss']:.3f} "
                      f"test acc {last['test_acc']:.3f} ({last['seconds']:.0f} s)", flush=True)
        setup = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "plot_only"}
        result = {"setup": setup, "torch": torch.__version__, "summary": summarise(runs), "runs": runs}
        path.write_text(json.dumps(result, indent=1))
    result = json.loads(path.read_text())
    for figure in plot(result, args.out):
        print(f"wrote {figure}")
    print(json.dumps(result["summary"], indent=1))


if __name__ == "__main__":
    main()
