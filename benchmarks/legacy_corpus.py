"""The "legacy" benchmark corpus: generated modules that mix ordinary training code with legacy
weights calls of every builder of the legacy table (`migrate_weights/tables/legacy_table.py`) in
every form the tool rewrites.

    write_legacy_corpus(directory, files=2000, seed=0) -> CorpusStats

The same seed and table give the same bytes on any machine. Most files hold the common forms
(`pretrained=True/False`, a positional flag, a variable flag, `pretrained_backbone=`,
`quantize=`) through the common import styles; a minority hold the rarer ones (`get_model`,
`torch.hub.load`, `functools.partial`, `model_urls`, `torchvision.models.utils`), and a few hold
no legacy call at all. Every generated site is one the tool rewrites (MW001), and the stats say
how many findings a correct run reports. A test imports it with `benchmarks/` on `sys.path`."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from migrate_weights.tables import legacy_model_urls
from migrate_weights.tables.table import generated

PACKAGE = "torchvision.models"
POPULAR = ("resnet18", "resnet50", "resnet101", "vgg16", "mobilenet_v2", "efficientnet_b0")
POPULAR += ("densenet121", "fasterrcnn_resnet50_fpn", "deeplabv3_resnet50", "maskrcnn_resnet50_fpn")
# Import style -> (weight, the import line, how a builder in `sub`module `fn` is called).
STYLES = {
    "from_models": (30, "from torchvision import models", "models.{sub}{fn}"),
    "import_as_models": (20, "import torchvision.models as models", "models.{sub}{fn}"),
    "by_name": (25, None, "{local}"),
    "package": (12, "import torchvision", "torchvision.models.{sub}{fn}"),
    "alias": (8, "import torchvision.models as tvm", "tvm.{sub}{fn}"),
    "zoo": (5, "from torchvision import models as zoo", "zoo.{sub}{fn}"),
}
# Direct builder calls: form -> weight.
CALL_FORMS = {"keyword": 40, "positional": 12, "flag": 20, "backbone_keyword": 8}
CALL_FORMS.update({"backbone_positional": 4, "quantize": 6, "keypoint_legacy": 0.5})
# Rarer forms: the share of files that hold one such block.
RARE_FORMS = {"get_model": 0.07, "hub": 0.05, "partial": 0.05, "model_urls": 0.05}
RARE_FORMS["models_utils"] = 0.03
NO_LEGACY_SHARE = 0.08
POSITIONAL_VALUES = {"progress": "True", "num_classes": "91", "aux_loss": "None"}
POSITIONAL_VALUES.update({"num_keypoints": "17", "trainable_backbone_layers": "3"})
HUB_REPOSITORIES = ('"pytorch/vision"',) * 6 + ('"pytorch/vision:main"', '"pytorch/vision:v0.15.2"')
STDLIB = {"argparse", "dataclasses", "functools", "logging", "math", "os", "random"}
NOUNS = ("backbone", "encoder", "teacher", "student", "detector", "segmenter", "classifier")
NOUNS += ("extractor", "baseline", "ensemble", "head", "trunk", "reference", "candidate")
TOPICS = ("retina", "satellite", "xray", "wildlife", "retail", "traffic", "plankton", "fabric")
TOPICS += ("leaf", "drone", "kitchen", "warehouse", "ultrasound", "microscopy", "sports")


@dataclass
class CorpusStats:
    files: int = 0
    lines: int = 0
    expected_rewrites: int = 0  # MW001 findings a correct `migrate-weights --check` reports
    builder_calls: int = 0  # calls with a legacy argument: direct, get_model, hub, partial
    sites_per_form: Counter = field(default_factory=Counter)
    builders_per_form: dict = field(default_factory=lambda: defaultdict(set))

    def uncovered(self) -> dict[str, list[str]]:
        """Form -> builders the form applies to that no file calls that way."""
        return {
            form: sorted(set(_applicable(form)) - self.builders_per_form[form])
            for form in (*CALL_FORMS, "get_model", "hub", "partial")
            if set(_applicable(form)) - self.builders_per_form[form]
        }


def _legacy(name: str) -> dict[str, dict]:
    return {param["legacy"]: param for param in generated().builders[name]["legacy"]}


def _has_weights(name: str) -> bool:
    return _legacy(name)["pretrained"]["pretrained"] is not None


def _applicable(form: str) -> list[str]:
    names = sorted(generated().builders)
    if form in ("flag", "quantize", "keypoint_legacy"):
        names = [name for name in names if _has_weights(name)]
    if form.startswith("backbone"):
        return [name for name in names if "pretrained_backbone" in _legacy(name)]
    if form == "quantize":
        return [name for name in names if _legacy(name)["pretrained"]["switch"]]
    if form == "keypoint_legacy":
        return [name for name in names if _legacy(name)["pretrained"]["strings"]]
    if form == "hub":  # entry points are the builder functions of their own name
        return [name for name in names if generated().shortest_path(name).endswith("." + name)]
    return names


TEMPLATES = [  # (imports, code) of ordinary modules, with $-placeholders
    (
        ("import torch",),
        '''class AverageMeter:
    """Running average of $topic metrics."""

    def __init__(self, name: str, fmt: str = ":f") -> None:
        self.name = name
        self.fmt = fmt
        self.reset()

    def reset(self) -> None:
        self.val = self.avg = self.sum = self.count = 0

    def update(self, val: float, n: int = 1) -> None:
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count''',
    ),
    (
        ("import torch",),
        '''def accuracy_$n(output, target, topk=(1, $k)):
    """Top-k accuracy of a batch of $topic predictions."""
    with torch.no_grad():
        maxk = max(topk)
        batch_size = target.size(0)
        _, pred = output.topk(maxk, 1, True, True)
        correct = pred.t().eq(target.view(1, -1).expand_as(pred))
        return [correct[:k].reshape(-1).float().sum(0) * 100.0 / batch_size for k in topk]''',
    ),
    (
        ("import os", "from PIL import Image", "from torch.utils.data import Dataset"),
        '''class ${Topic}Dataset(Dataset):
    """Images of the $topic set, one folder per class."""

    def __init__(self, root, transform=None):
        self.samples = []
        for label, folder in enumerate(sorted(os.listdir(root))):
            for name in sorted(os.listdir(os.path.join(root, folder))):
                self.samples.append((os.path.join(root, folder, name), label))
        self.transform = transform

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, label = self.samples[index]
        image = Image.open(path).convert("RGB")
        if self.transform is not None:
            image = self.transform(image)
        return image, label''',
    ),
    (
        ("import torch",),
        """def train_one_epoch_$n(model, loader, optimizer, criterion, device, print_freq=$k0):
    model.train()
    running = 0.0
    for step, (images, targets) in enumerate(loader):
        images, targets = images.to(device), targets.to(device)
        # Mixed precision: the $topic images are large.
        with torch.autocast(device_type=device.type, enabled=device.type == "cuda"):
            loss = criterion(model(images), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        running += loss.item()
        if step % print_freq == 0:
            print(f"step {step}: loss {running / (step + 1):.4f}")
    return running / max(len(loader), 1)""",
    ),
    (
        ("import torch",),
        '''@torch.no_grad()
def evaluate_$n(model, loader, device):
    """Accuracy on the $topic validation split."""
    model.eval()
    correct = total = 0
    for images, targets in loader:
        logits = model(images.to(device))
        correct += (logits.argmax(dim=1).cpu() == targets).sum().item()
        total += targets.numel()
    return correct / max(total, 1)''',
    ),
    (
        ("import argparse",),
        """def parse_args_$n(argv=None):
    parser = argparse.ArgumentParser(description="Train on the $topic data.")
    parser.add_argument("--data", default="/data/$topic")
    parser.add_argument("--arch", default="resnet50")
    parser.add_argument("--epochs", type=int, default=$k0)
    parser.add_argument("--lr", type=float, default=0.$k)
    parser.add_argument("--batch-size", type=int, default=$k0)
    parser.add_argument("--pretrained", action="store_true")
    parser.add_argument("--quantize", action="store_true")
    return parser.parse_args(argv)""",
    ),
    (
        ("from dataclasses import dataclass, field",),
        '''@dataclass
class ${Topic}Config:
    """Hyper-parameters of the $topic experiments."""

    data_dir: str = "/data/$topic"
    epochs: int = $k0
    lr: float = 0.0$k
    weight_decay: float = 1e-4
    milestones: list = field(default_factory=lambda: [$k0, ${k0}0])''',
    ),
    (
        ("import os", "import torch"),
        """def save_checkpoint_$n(model, optimizer, epoch, directory="checkpoints/$topic"):
    os.makedirs(directory, exist_ok=True)
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}
    torch.save(state, os.path.join(directory, f"epoch_{epoch:03d}.pt"))


def load_checkpoint_$n(model, path, device="cpu"):
    state = torch.load(path, map_location=device)
    model.load_state_dict(state["model"])
    return state.get("epoch", 0)""",
    ),
    (
        ("import math",),
        '''def cosine_lr_$n(step, total_steps, base_lr=0.$k, warmup=$k0):
    """Linear warm-up, then cosine decay to zero."""
    if step < warmup:
        return base_lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total_steps - warmup)
    return 0.5 * base_lr * (1.0 + math.cos(math.pi * progress))''',
    ),
    (
        ("import torchvision.transforms as T",),
        """# Normalisation statistics of the $topic images (computed on the training split).
MEAN_$N = (0.48$k, 0.456, 0.406)
STD_$N = (0.229, 0.22$k, 0.225)


def make_transforms_$n(train: bool, size: int = 2$k0):
    if train:
        steps = [T.RandomResizedCrop(size), T.RandomHorizontalFlip()]
    else:
        steps = [T.Resize(size + 32), T.CenterCrop(size)]
    return T.Compose(steps + [T.ToTensor(), T.Normalize(MEAN_$N, STD_$N)])""",
    ),
    (
        ("import random", "import numpy as np", "import torch"),
        """def seed_everything_$n(seed: int = $k) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)""",
    ),
    (
        ("import logging",),
        """logger_$n = logging.getLogger("$topic")


def log_metrics_$n(epoch, metrics):
    # One line per epoch, so that the logs stay greppable.
    parts = [f"{name}={value:.4f}" for name, value in sorted(metrics.items())]
    logger_$n.info("epoch %d: %s", epoch, " ".join(parts))""",
    ),
    (
        ("import torch",),
        '''def collate_detection_$n(batch):
    """Images of different sizes: keep them in lists, as the detection models expect."""
    images, targets = zip(*batch)
    return list(images), [{k: torch.as_tensor(v) for k, v in t.items()} for t in targets]''',
    ),
    (
        ("from torch import nn",),
        """class ${Topic}Head(nn.Module):
    def __init__(self, in_features: int, num_classes: int = $k0, dropout: float = 0.$k) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_features, num_classes)

    def forward(self, x):
        return self.fc(self.dropout(x.flatten(1)))""",
    ),
    (
        (),
        '''def freeze_$n(model, trainable=("layer4", "fc")):
    """Freeze everything but the last blocks when the $topic set is small."""
    frozen = 0
    for name, parameter in model.named_parameters():
        parameter.requires_grad = name.startswith(trainable)
        frozen += not parameter.requires_grad
    return frozen''',
    ),
]


class _Module:
    """One generated file: its imports and blocks, and the names it has taken."""

    def __init__(self, rng: random.Random, style: str) -> None:
        self.rng, self.style = rng, style
        self.imports: set[str] = set()
        self.from_imports: dict[str, set[str]] = defaultdict(set)
        self.blocks: list[str] = []
        self.names: Counter = Counter()
        self.templates: set[int] = set()

    def unique(self, base: str) -> str:
        self.names[base] += 1
        return base if self.names[base] == 1 else f"{base}_{self.names[base]}"

    def callee(self, name: str, style: str | None = None) -> str:
        """How this module calls the builder registered as `name` (or `get_model`), importing
        what it needs."""
        path = f"{PACKAGE}.get_model" if name == "get_model" else generated().shortest_path(name)
        module, fn = path.rsplit(".", 1)
        style = style or self.style
        if style == "by_name":
            local = name  # quantized builders, registered as quantized_<fn>, keep that name
            self.from_imports[module].add(fn if fn == name else f"{fn} as {name}")
            return local
        self.imports.add(STYLES[style][1])
        sub = module[len(PACKAGE) :].lstrip(".")
        return STYLES[style][2].format(sub=f"{sub}." if sub else "", fn=fn)

    def text(self) -> str:
        statements = list(self.imports)
        for module, names in self.from_imports.items():
            joined = ", ".join(sorted(names))
            if len(f"from {module} import {joined}") <= 100:
                statements.append(f"from {module} import {joined}")
            else:
                lines = "".join(f"    {name},\n" for name in sorted(names))
                statements.append(f"from {module} import (\n{lines})")

        def order(statement: str) -> tuple[bool, bool, str]:  # isort's: stdlib first
            module = statement.split()[1]
            return (module.split(".")[0] not in STDLIB, statement.startswith("from"), module)

        groups: dict[bool, list[str]] = defaultdict(list)
        for statement in sorted(statements, key=lambda statement: (order(statement), statement)):
            groups[order(statement)[0]].append(statement)
        imports = "\n\n".join("\n".join(group) for _, group in sorted(groups.items()))
        topic = self.rng.choice(TOPICS)
        header = f'"""{topic.capitalize()} experiments: models, data and training helpers."""'
        return "\n\n\n".join([f"{header}\n\n{imports}", *self.blocks]) + "\n"


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.stats = CorpusStats()
        self.cycles: dict[str, list[str]] = {}
        self.count = 0

    def builder(self, form: str) -> str:
        """The next builder for `form`, cycling through all it applies to (full coverage)."""
        applicable = _applicable(form)
        if form in ("keyword", "positional", "flag") and self.rng.random() < 0.35:
            name = self.rng.choice(POPULAR)
        else:
            if not self.cycles.get(form):
                self.cycles[form] = self.rng.sample(applicable, len(applicable))
            name = self.cycles[form].pop()
        self.stats.builder_calls += 1
        self.stats.sites_per_form[form] += 1
        self.stats.builders_per_form[form].add(name)
        self.stats.expected_rewrites += 1
        return name

    def flag(self, flags: tuple[str, ...], fallback: str) -> str:
        return self.rng.choice(flags) if flags else fallback

    def arguments(
        self, form: str, name: str, flags: tuple[str, ...], keyword_only: bool = False
    ) -> list[str]:
        """Legacy arguments of one call in `form`; `flags` are the run-time expressions in scope
        (those naming `quantize` serve `quantize=`)."""
        rng, has_weights = self.rng, _has_weights(name)
        quantize_flags = tuple(flag for flag in flags if "quantize" in flag)
        flags = tuple(flag for flag in flags if "quantize" not in flag)
        true = rng.choice(("True",) * 5 + ("1",)) if has_weights else "False"
        boolean = rng.choice((true, true, "False"))
        if form == "keyword":
            arguments = [f"pretrained={boolean}"]
            if rng.random() < 0.3:
                arguments.append(rng.choice(("progress=False", "progress=True")))
            return arguments
        if form == "positional":
            return [boolean, "False"] if rng.random() < 0.3 else [boolean]
        if form == "flag":
            if _legacy(name)["pretrained"]["strings"]:  # may be "legacy": only a plain name
                flags = tuple(flag for flag in flags if flag.replace(".", "").isidentifier())
            return [f"pretrained={self.flag(flags, true)}"]
        if form == "backbone_keyword":
            backbone = (
                self.flag(flags, "True") if rng.random() < 0.3 else rng.choice(("True", "False"))
            )
            if rng.random() < 0.3:
                return [f"pretrained_backbone={backbone}", f"num_classes={rng.choice((2, 21, 91))}"]
            return ["pretrained=False", f"pretrained_backbone={backbone}"]
        if form == "backbone_positional":
            order = generated().builders[name]["parameters"]
            values = ["False"] + [
                POSITIONAL_VALUES[p] for p in order[1 : order.index("weights_backbone")]
            ]
            return values + [rng.choice(("True", "False"))]
        if form == "quantize":
            quantize = rng.choice(("True", "True", "False") + quantize_flags)
            if not keyword_only and rng.random() < 0.15:
                return ["True", "True", quantize]  # pretrained, progress, quantize
            return [f"pretrained={true}", f"quantize={quantize}"]
        assert form == "keypoint_legacy"
        return ['pretrained="legacy"']

    def call(self, module: _Module, indent: str, flags: tuple[str, ...]) -> str:
        form = self.rng.choices(list(CALL_FORMS), weights=list(CALL_FORMS.values()))[0]
        if form == "flag" and not flags:
            form = "keyword"
        name = self.builder(form)
        style = module.style if self.rng.random() < 0.85 else self.rng.choice(sorted(STYLES))
        return self.render(module.callee(name, style), self.arguments(form, name, flags), indent)

    def render(self, callee: str, arguments: list[str], indent: str) -> str:
        if self.rng.random() < 0.12:  # one argument a line, some with comments
            inner = indent + "    "
            notes = ("  # ImageNet weights", "  # see the README", "")
            body = "".join(f"{inner}{a},{self.rng.choice(notes)}\n" for a in arguments)
            return f"{callee}(\n{body}{indent})"
        return f"{callee}({', '.join(arguments)})"

    def legacy_block(self, module: _Module) -> str:
        rng = self.rng
        noun, topic = rng.choice(NOUNS), rng.choice(TOPICS)
        kind = rng.choice(
            ("factory", "factory", "parameter", "module", "class", "registry", "branch")
        )
        if kind == "factory":
            fn = module.unique(f"build_{topic}_{noun}")
            flags = (
                "args.pretrained",
                "args.use_pretrained",
                "not args.from_scratch",
                "args.pretrained and not args.debug",
            )
            call = self.call(module, "    ", flags)
            return (
                f"def {fn}(args):\n"
                f'    """The {noun} of the {topic} experiments."""\n'
                f"    model = {call}\n"
                f"    model.to(args.device)\n"
                f"    return model.eval() if args.evaluate else model"
            )
        if kind == "parameter":
            fn = module.unique(f"create_{noun}")
            flags = ("pretrained", "pretrained and num_classes == 1000", "quantize")
            call = self.call(module, "    ", flags)
            return (
                f"def {fn}(pretrained=True, num_classes=1000, quantize=False):\n"
                f"    model = {call}\n"
                f"    if num_classes != 1000:\n"
                f"        model.num_classes = num_classes  # the head is replaced by the caller\n"
                f"    return model"
            )
        if kind == "module":
            return f"{module.unique(f'{topic}_{noun}')} = {self.call(module, '', ())}"
        if kind == "class":
            cls = module.unique(f"{topic.capitalize()}{noun.capitalize()}")
            module.from_imports["torch"].add("nn")
            call = self.call(module, "        ", ("pretrained", "quantize"))
            return (
                f"class {cls}(nn.Module):\n"
                f"    def __init__(self, pretrained=True, quantize=False):\n"
                f"        super().__init__()\n"
                f"        self.body = {call}\n\n"
                f"    def forward(self, x):\n"
                f"        return self.body(x)"
            )
        if kind == "registry":
            registry = module.unique(f"{topic.upper()}_MODELS")
            entries = [
                f'    "{noun}_{i}": lambda: {self.call(module, "    ", ())},'
                for i in range(rng.randint(2, 4))
            ]
            return f"{registry} = {{\n" + "\n".join(entries) + "\n}"
        fn = module.unique(f"select_{noun}")
        flags = ("args.pretrained", "args.pretrained", "args.quantize")
        branches = [
            f'    if args.arch == "{noun}_{i}":\n'
            f'        return {self.call(module, "        ", flags)}'
            for i in range(rng.randint(2, 3))
        ]
        raise_line = '    raise ValueError(f"unknown architecture: {args.arch}")'
        return f"def {fn}(args):\n" + "\n".join(branches) + "\n" + raise_line

    def rare_block(self, module: _Module, form: str) -> str:
        rng = self.rng
        noun = rng.choice(NOUNS)
        if form == "get_model":
            get_model = module.callee("get_model")
            lines = []
            for _ in range(rng.randint(1, 2)):
                name = self.builder("get_model")
                sub = (
                    "quantize"
                    if _legacy(name)["pretrained"]["switch"] and rng.random() < 0.5
                    else "keyword"
                )
                arguments = self.arguments(sub, name, ("args.quantize",), keyword_only=True)
                if sub == "keyword" and _has_weights(name) and rng.random() < 0.3:
                    arguments = ["pretrained=args.pretrained"]
                lines.append(f'    {noun} = {get_model}("{name}", {", ".join(arguments)})')
            fn = module.unique(f"model_by_name_{noun}")
            return f"def {fn}(args):\n" + "\n".join(lines) + f"\n    return {noun}"
        if form == "hub":
            module.imports.add("import torch")
            lines = []
            for _ in range(rng.randint(1, 3)):
                name = self.builder("hub")
                repository = rng.choice(HUB_REPOSITORIES)
                arguments = self.arguments("keyword", name, ())
                if _has_weights(name) and rng.random() < 0.3:
                    arguments = [rng.choice(("True", "pretrained=args.pretrained"))]
                elif "pretrained_backbone" in _legacy(name) and rng.random() < 0.5:
                    arguments = ["pretrained=False", "pretrained_backbone=True"]
                call = f'torch.hub.load({repository}, "{name}", {", ".join(arguments)})'
                lines.append(f'    models_by_name["{name}"] = {call}')
            fn = module.unique(f"load_from_hub_{noun}")
            return (
                f"def {fn}(args):\n    models_by_name = {{}}\n"
                + "\n".join(lines)
                + "\n    return models_by_name"
            )
        if form == "partial":
            qualified = rng.random() < 0.5
            module.imports.add("import functools" if qualified else "from functools import partial")
            lines = []
            for _ in range(rng.randint(1, 3)):
                name = self.builder("partial")
                sub = "keyword"
                if "pretrained_backbone" in _legacy(name):
                    sub = "backbone_keyword"
                elif _legacy(name)["pretrained"]["switch"]:
                    sub = "quantize"
                arguments = self.arguments(sub, name, (), keyword_only=True)
                function = "functools.partial" if qualified else "partial"
                factory = module.unique(f"{name}_factory")
                lines.append(
                    f"{factory} = {function}({module.callee(name)}, {', '.join(arguments)})"
                )
            return "\n".join(lines)
        if form == "model_urls":
            return self.model_urls_block(module)
        return self.models_utils_block(module)

    def model_urls_block(self, module: _Module) -> str:
        rng = self.rng
        dicts = [(k, v) for k, v in sorted(legacy_model_urls.MODEL_URLS.items())]
        lines = []
        module.imports.add("import torch")
        for defined, keys in rng.sample(dicts, rng.randint(1, 2)):
            dict_module, dict_name = defined.rsplit(".", 1)
            usable = [key for key, (_, member, _) in keys.items() if member is not None]
            chosen = rng.sample(usable, min(len(usable), rng.randint(1, 2)))
            if rng.random() < 0.5:  # through the module, spelled out
                module.imports.add("import torchvision")
                lookups = [f'{defined}["{key}"]' for key in chosen]
            else:  # the dict imported by name: the import goes once no use is left
                local = module.unique(f"{dict_module.rsplit('.', 1)[1]}_{dict_name}")
                module.from_imports[dict_module].add(f"{dict_name} as {local}")
                lookups = [f'{local}["{key}"]' for key in chosen]
                self.stats.expected_rewrites += 1
            for lookup in lookups:
                variable = module.unique("state_dict")
                lines.append(f"{variable} = torch.hub.load_state_dict_from_url({lookup})")
                self.stats.expected_rewrites += 1
                self.stats.sites_per_form["model_urls"] += 1
        return "\n".join(lines)

    def models_utils_block(self, module: _Module) -> str:
        """`torchvision.models.utils`, removed in 0.11: each way of reaching it is one finding."""
        way = self.rng.choice(("from", "from_as", "attribute", "module_as", "plain"))
        self.stats.expected_rewrites += 1
        self.stats.sites_per_form["models_utils"] += 1
        function = module.unique("load_pretrained_state")
        if way == "from":
            module.from_imports["torchvision.models.utils"].add("load_state_dict_from_url")
            call = "load_state_dict_from_url"
        elif way == "from_as":
            module.from_imports["torchvision.models.utils"].add(
                "load_state_dict_from_url as load_url"
            )
            call = "load_url"
        elif way == "attribute":
            module.imports.add("import torchvision")
            call = "torchvision.models.utils.load_state_dict_from_url"
        elif way == "module_as":
            module.imports.add("import torchvision.models.utils as model_utils")
            call = "model_utils.load_state_dict_from_url"
        else:  # the import is one finding, the use another
            module.imports.add("import torchvision.models.utils")
            call = "torchvision.models.utils.load_state_dict_from_url"
            self.stats.expected_rewrites += 1
        return (
            f"def {function}(url, model):\n"
            f"    # Checkpoints are cached under $TORCH_HOME, as for the builders.\n"
            f"    model.load_state_dict({call}(url, progress=False))\n"
            f"    return model"
        )

    def ordinary_block(self, module: _Module) -> str:
        unused = [index for index in range(len(TEMPLATES)) if index not in module.templates]
        index = self.rng.choice(unused or range(len(TEMPLATES)))
        module.templates.add(index)
        imports, code = TEMPLATES[index]
        module.imports.update(line for line in imports if line.startswith("import"))
        for line in imports:
            if line.startswith("from"):
                source, names = line[len("from ") :].split(" import ")
                module.from_imports[source].update(names.split(", "))
        self.count += 1
        topic = self.rng.choice(TOPICS)
        values = {"n": self.count, "N": self.count, "k": self.rng.randint(1, 9)}
        values.update(k0=self.rng.randint(2, 9) * 10, topic=topic, Topic=topic.capitalize())
        return Template(code).substitute(values)

    def module(self) -> str:
        rng = self.rng
        style = rng.choices(list(STYLES), weights=[w for w, _, _ in STYLES.values()])[0]
        module = _Module(rng, style)
        legacy = rng.random() >= NO_LEGACY_SHARE
        target = rng.randint(40, 100)
        if legacy:
            module.blocks.append(self.legacy_block(module))
            for form, share in RARE_FORMS.items():
                if rng.random() < share:
                    module.blocks.append(self.rare_block(module, form))
        while sum(block.count("\n") + 3 for block in module.blocks) + 10 < target:
            if legacy and rng.random() < 0.35:
                module.blocks.append(self.legacy_block(module))
            else:
                module.blocks.append(self.ordinary_block(module))
        rng.shuffle(module.blocks)
        return module.text()


def write_legacy_corpus(directory: Path, files: int = 2000, seed: int = 0) -> CorpusStats:
    """Write `files` modules under `directory` (created), 100 to a folder; the same bytes for
    the same seed and table."""
    generator = _Generator(seed)
    for index in range(files):
        folder = Path(directory) / f"project_{index // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        text = generator.module()
        name = f"{generator.rng.choice(TOPICS)}_{generator.rng.choice(NOUNS)}_{index:04d}.py"
        (folder / name).write_bytes(text.encode())
        generator.stats.files += 1
        generator.stats.lines += text.count("\n")
    return generator.stats
