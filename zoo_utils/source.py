"""Show a zoo_utils function's or class's source in a notebook page, so code lives in one place."""

import inspect

from IPython.display import Markdown


def show_source(obj):
    """The source of `obj` as a highlighted code block (rendered in notebooks and in the book)."""
    module = inspect.getmodule(obj).__name__
    return Markdown(f"`{module}.{obj.__qualname__}`\n\n```python\n{inspect.getsource(obj)}```")
