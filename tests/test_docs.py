"""The docs site (docs/mkdocs.yml): it builds in strict mode (a broken link, a missing reference or
a docstring that fails to render fails the build), every registered model gets its page with no
docs edit (a throwaway model registered outside the zoo too), and the built site works in a real
headless browser: every model page renders with its pictures loaded, the search finds a model by
name, and the console shows no error. Screenshots of the home page and a model page are written
to build/docs-screenshots/ to be looked at.

The browser is Debian's chromium with its chromedriver, driven by Selenium (.ci/run installs
them); where they are missing the browser test is skipped, except in CI (CI=true), where that
fails."""

import ast
import functools
import http.server
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import zoo
from zoo.registry import get_entry

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "build" / "docs-screenshots"
THROWAWAY = "throwaway_classifier"

pytestmark = pytest.mark.xdist_group("docs")  # one build, shared by the tests of this file

THROWAWAY_MODEL = '''
"""A model registered outside the zoo's package, for the docs test."""
from zoo.models.lstm_image_classifier import LSTMImageClassifier
from zoo.registry import register_model


@register_model("throwaway_classifier", task="image classification", dataset="mnist",
                recipe="throwaway_recipe", metric="test_accuracy")
class ThrowawayClassifier(LSTMImageClassifier):
    """A throwaway classifier that exists only to get a docs page.

    Args:
        units: LSTM units of the throwaway.
    """
'''

THROWAWAY_RECIPE = '''
from recipes.lstm_image_classifier.recipe import LSTMImageClassifierRecipe


class ThrowawayRecipe(LSTMImageClassifierRecipe):
    name = "throwaway_classifier"


RECIPE = ThrowawayRecipe()
'''


def _environment(extra_path):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true", TF_CPP_MIN_LOG_LEVEL="3",
               ZOO_DOCS_IMPORT="throwaway_model")
    env["PYTHONPATH"] = os.pathsep.join([str(extra_path), str(REPO), env.get("PYTHONPATH", "")])
    return env


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built strictly with the throwaway model registered: (folder, build seconds)."""
    pytest.importorskip("mkdocs", reason='the docs extra: pip install -e ".[docs]"')
    extra = tmp_path_factory.mktemp("throwaway")
    (extra / "throwaway_model.py").write_text(THROWAWAY_MODEL)
    (extra / "throwaway_recipe.py").write_text(THROWAWAY_RECIPE)
    folder = tmp_path_factory.mktemp("site") / "site"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "docs/mkdocs.yml", "-d",
                           str(folder)], cwd=REPO, env=_environment(extra), capture_output=True, text=True,
                          timeout=300)
    seconds = time.perf_counter() - start
    warnings = [line for line in done.stderr.splitlines() if re.match(r"(WARNING|ERROR)\s+-", line)]
    assert done.returncode == 0, "\n".join(warnings) or done.stderr[-3000:]
    print(f"docs build: {seconds:.1f} s")
    return folder, seconds


def test_the_site_builds_strictly_with_a_page_per_model(site):
    folder, _ = site
    names = zoo.list_models()
    for name in [*names, THROWAWAY]:
        page = (folder / "models" / f"{name}.html").read_text()
        assert f"<code>{name}</code>" in page, name
        for heading in ("Use it", "Configuration", "Serving", "Python class"):
            assert f">{heading}<" in page, (name, heading)
    for name in names:  # a shipped model's page: its card's figures, dated, and its pictures
        page = (folder / "models" / f"{name}.html").read_text()
        card = json.loads((REPO / "saved_models" / name / "model_card.json").read_text())
        assert card["environment"]["date"] in page, name
        assert "Measured" in page and "Commit" in page and "<img" in page, name
        for file in (f for f in card["files"].values() if isinstance(f, str) and f.endswith(".png")):
            assert (folder / "models" / name / name / file).exists(), (name, file)
    throwaway = (folder / "models" / f"{THROWAWAY}.html").read_text()
    assert "A throwaway classifier that exists only to get a docs page." in throwaway
    assert "LSTM units of the throwaway." in throwaway  # its config field's help, from its docstring
    assert "No weights ship for this model yet" in throwaway
    assert f'href="models/{THROWAWAY}.html"' in (folder / "index.html").read_text()  # in the navigation
    cli = (folder / "reference" / "cli.html").read_text()
    for name in names:
        assert f"zoo train {name}" in cli
        for flag in get_entry(name).recipe().config_class().__dataclass_fields__:
            assert f"--{flag.replace('_', '-')}" in cli, (name, flag)
    # The API and recipe references: every name `zoo` and `zoo.recipe` export
    from zoo import recipe as recipes

    api = (folder / "reference" / "api.html").read_text()
    for name in zoo.__all__:
        assert f'id="zoo.{name}"' in api, name
    recipe = (folder / "reference" / "recipe.html").read_text()
    for name in recipes.__all__:
        assert f'id="zoo.recipe.{name}"' in recipe, name
    # Each model page documents every method its users call, inherited ones too (dcgan's from
    # ImageGAN)
    from docs.generate import public_methods

    for name in [*names, THROWAWAY]:
        cls = get_entry(name).cls if name != THROWAWAY else None
        page = (folder / "models" / f"{name}.html").read_text()
        for method in public_methods(cls) if cls else ():
            assert f'id="{cls.__module__}.{cls.__qualname__}.{method}"' in page, (name, method)


def test_the_readme_model_table_is_generated_from_the_cards():
    from docs import generate

    readme = (REPO / "README.md").read_text()
    assert generate.readme_with_table(readme) == readme, "run: python -m docs.generate --readme"
    assert len(readme.splitlines()) <= 200


def test_the_readme_python_example_runs(tmp_path):
    """The README's ten-line example, as printed, in a fresh process (it exports into its folder)."""
    readme = (REPO / "README.md").read_text()
    code = re.search(r"## Python\n\n```python\n(.*?)\n```", readme, re.S).group(1)
    assert len(code.splitlines()) <= 11  # ten lines and the import's blank line
    done = subprocess.run([sys.executable, "-c", code + "\nprint('DIGITS', list(reader.predict(images, verbose=0).argmax(-1)))"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(re.search(r"DIGITS \[(.*)\]", done.stdout).group(1).split(",")) == 8
    assert (tmp_path / "exports" / "lstm_image_classifier" / "serving" / "1" / "saved_model.pb").exists()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser(site):
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Debian's chromium and chromium-driver (.ci/run installs them)")
        pytest.skip("no chromium/chromedriver here: apt-get install chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver")
    folder, _ = site
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    try:
        yield driver, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        driver.quit()
        server.shutdown()


def _console_errors(driver):
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_the_site_works_in_a_browser(site, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver, root = browser
    start = time.perf_counter()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.get(f"{root}/index.html")
    assert driver.find_element(By.TAG_NAME, "h1").text == "zoo"
    driver.save_screenshot(str(SCREENSHOTS / "home.png"))
    for name in [*zoo.list_models(), THROWAWAY]:
        driver.get(f"{root}/models/{name}.html")
        assert name in driver.find_element(By.TAG_NAME, "h1").text, name
        images = driver.find_elements(By.CSS_SELECTOR, "article img")
        if name != THROWAWAY:
            assert images, f"{name}'s page shows no picture"
        WebDriverWait(driver, 20).until(lambda d: d.execute_script(
            "return Array.from(document.images).every(i => i.complete)"))
        broken = driver.execute_script(
            "return Array.from(document.querySelectorAll('article img'))"
            ".filter(i => !(i.naturalWidth > 0)).map(i => i.getAttribute('src'))")
        assert not broken, (name, broken)
        if name == "dcgan":  # the page's pictures, in view
            driver.execute_script("document.getElementById('pictures').scrollIntoView()")
            time.sleep(0.5)  # the header's title changes with the scroll, animated
            driver.save_screenshot(str(SCREENSHOTS / "model-dcgan.png"))
        assert not _console_errors(driver), (name, _console_errors(driver))
    # The search box finds a model by its name (Material's search runs in a web worker)
    driver.get(f"{root}/index.html")
    box = WebDriverWait(driver, 20).until(lambda d: d.find_element(By.CSS_SELECTOR, "input.md-search__input"))
    box.click()
    box.send_keys("convlstm_video")

    def found(d):
        links = d.find_elements(By.CSS_SELECTOR, ".md-search-result__link")
        return [a.get_attribute("href") for a in links if "models/convlstm_video.html" in (a.get_attribute("href") or "")]

    assert WebDriverWait(driver, 30).until(found)
    driver.save_screenshot(str(SCREENSHOTS / "search.png"))
    assert not _console_errors(driver), _console_errors(driver)
    print(f"browser check: {time.perf_counter() - start:.1f} s (build {site[1]:.1f} s)")


def _public_objects():
    """{dotted name: object} of what the API reference documents: the `zoo` and `zoo.recipe`
    names, the public methods of those classes, every registered model class and the methods its
    page lists, and `ZooModel`'s methods."""
    import zoo.recipe
    from docs.generate import public_methods
    from zoo.models.base import ZooModel

    objects = {}
    for module in (zoo, zoo.recipe):
        for name in module.__all__:
            objects[f"{module.__name__}.{name}"] = getattr(module, name)
    for name in zoo.list_models():
        cls = get_entry(name).cls
        objects[f"{cls.__module__}.{cls.__qualname__}"] = cls
        for method in public_methods(cls):
            objects[f"{cls.__module__}.{cls.__qualname__}.{method}"] = getattr(cls, method)
    for owner in (ZooModel, *(o for o in list(objects.values()) if inspect.isclass(o) and o.__module__.startswith("zoo"))):
        for method, value in vars(owner).items():
            if not method.startswith("_") and inspect.isfunction(value):
                objects.setdefault(f"{owner.__module__}.{owner.__qualname__}.{method}", value)
    return objects


def _documented_names(obj):
    """The names an object's own docstring documents under `Args:` or `Attributes:`."""
    doc = inspect.cleandoc(vars(obj).get("__doc__") or "") if inspect.isclass(obj) else inspect.getdoc(obj) or ""
    names = set()
    for section in re.findall(r"^(?:Args|Attributes):\n((?:[ \t]+.*\n?|\n)*)", doc, re.M):
        for entry in re.findall(r"^ {4}(\**\w+(?:, \**\w+)*)(?: \(.*?\))?:", section, re.M):
            names |= {n.strip().lstrip("*") for n in entry.split(",")}
    return names


def _returns_a_value(function):
    source = textwrap.dedent(inspect.getsource(function))
    return any(isinstance(node, ast.Return) and node.value is not None
               and not (isinstance(node.value, ast.Constant) and node.value.value is None)
               for node in ast.walk(ast.parse(source)))


def test_every_public_function_and_class_is_documented():
    """Summary; Args naming every parameter it takes; Returns where it returns a value; and an example that
    runs as a doctest (`--doctest-modules` runs them), except on what a subclass overrides: the
    Keras methods a model overrides, the model hooks `ZooModel` declares, and the methods of the
    recipe classes (hooks that say what to override, and steps of a run that needs data)."""
    import keras

    import zoo.recipe
    from zoo.models.base import ZooModel
    from zoo.recipe import Recipe

    overrides = set(dir(keras.Model)) | {n for n, v in vars(ZooModel).items() if callable(v)}
    recipe_classes = {o.__qualname__ for o in vars(zoo.recipe).values() if inspect.isclass(o) and issubclass(o, Recipe)}
    missing = {}
    for name, obj in _public_objects().items():
        doc = inspect.getdoc(obj) or ""
        short = name.rsplit(".", 1)[1]
        problems = []
        if not doc or not doc.splitlines()[0].rstrip().endswith((".", ":")):
            problems.append("a one-line summary")
        constructor = inspect.isclass(obj) and "__init__" in vars(obj) and obj.__module__.startswith("zoo")
        if inspect.isfunction(obj) or constructor:
            function = obj.__init__ if constructor else obj
            taken = [p for p in inspect.signature(function).parameters if p not in ("self", "cls")]
            # a class's along its bases, as the flags' help is read (a dataclass's: Attributes)
            documented = set().union(*(_documented_names(k) for k in obj.__mro__ if k.__module__.startswith("zoo"))
                                     ) if constructor else _documented_names(obj)
            undocumented = [p for p in taken if p not in documented]
            if undocumented:
                problems.append(f"Args for {', '.join(undocumented)}")
            if not constructor and _returns_a_value(obj) and not re.search(r"^(Returns|Yields):", doc, re.M):
                problems.append("Returns")
        owner = name.rsplit(".", 2)[-2]
        exempt = inspect.isfunction(obj) and owner[:1].isupper() and (
            owner in recipe_classes or (short in overrides and not name.startswith("zoo.models.base.ZooModel.")) or
            short in set(dir(keras.Model)))
        if not exempt and ">>>" not in doc:
            problems.append("a doctest example")
        if problems:
            missing[name] = problems
    assert not missing, "\n".join(f"{k}: needs {', '.join(v)}" for k, v in sorted(missing.items()))
