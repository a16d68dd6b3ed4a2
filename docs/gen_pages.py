"""Writes the generated pages into the site at build time (mkdocs-gen-files runs it): a page per
registered model with its shipped pictures, the models' index, and the command-line reference."""

import os
import shutil
import sys
from pathlib import Path

import mkdocs_gen_files

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import importlib  # noqa: E402

import zoo  # noqa: E402

# Models registered outside the zoo's package (a project's own, or a test's throwaway one): the
# modules that register them, comma-separated. Each gets its page like the zoo's own.
for module in filter(None, os.environ.get("ZOO_DOCS_IMPORT", "").split(",")):
    importlib.import_module(module.strip())
from docs import generate  # noqa: E402
from zoo import cards  # noqa: E402

names = zoo.list_models()
for name in names:
    def picture(shipped, file, name=name):
        """Copies saved_models/<shipped>/<file> into the site beside the page; its link."""
        with mkdocs_gen_files.open(f"models/{name}/{shipped}/{file}", "wb") as out, \
                open(cards.saved_models_dir() / shipped / file, "rb") as source:
            shutil.copyfileobj(source, out)
        return f"{name}/{shipped}/{file}"

    with mkdocs_gen_files.open(f"models/{name}.md", "w") as page:
        page.write(generate.model_page(name, picture_link=picture))

with mkdocs_gen_files.open("models/index.md", "w") as page:
    page.write("# Models\n\nEvery registered model, with the metric its shipped weights reach (read from "
               "its model card; `tests/test_pretrained.py` re-measures each).\n\n")
    page.write(generate.model_table(link=lambda name: f"{name}.md"))
    page.write("\n")

# The navigation: docs/nav.md, with a line per registered model
models = "    * [All models](models/index.md)\n" + "".join(f"    * [{n}](models/{n}.md)\n" for n in names)
nav = (generate.REPO / "docs" / "nav.md").read_text().split("-->\n", 1)[1]
with mkdocs_gen_files.open("SUMMARY.md", "w") as out:
    out.write(nav.replace("{models}\n", models))

# Pictures the guides show that a benchmark writes
for source, target in [("benchmarks/generative.png", "assets/generative.png"),
                       ("benchmarks/generative_conditional.png", "assets/generative_conditional.png")]:
    with mkdocs_gen_files.open(target, "wb") as out, open(generate.REPO / source, "rb") as data:
        shutil.copyfileobj(data, out)

# The benchmark guide's table, from the record of the last run, each row checked for staleness
# against the code as it is now (benchmarks.run.stale)
guide = generate.REPO / "docs" / "pages" / "guides" / "benchmark.md"
with mkdocs_gen_files.open("guides/benchmark.md", "w") as page:
    page.write(guide.read_text().replace("<!-- benchmark-table -->", generate.benchmark_table())
               .replace("<!-- recurrent-table -->", generate.recurrent_table())
               .replace("<!-- memory-table -->", (generate.REPO / "benchmarks" / "memory.md").read_text()))

with mkdocs_gen_files.open("reference/cli.md", "w") as page:
    page.write(generate.cli_page())
