"""reportlab's C accelerator (the rl-accel package) is what renders our PDFs: without it reportlab
falls back, silently, to pure Python and every report and summary PDF is about a fifth slower."""

import types

from reportlab.lib import rl_accel
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfgen import canvas


def test_every_accelerated_function_comes_from_the_c_extension():
    assert rl_accel._py_funcs == {}, f"pure-Python fallbacks in use: {sorted(rl_accel._py_funcs)}"
    assert set(rl_accel._c_funcs) == set(rl_accel.__all__)
    for name in rl_accel.__all__:
        assert isinstance(getattr(rl_accel, name), types.BuiltinFunctionType), name


def test_the_modules_that_write_our_pdfs_use_the_c_functions():
    assert canvas.fp_str is rl_accel._c_funcs["fp_str"]
    assert pdfdoc.escapePDF is rl_accel._c_funcs["escapePDF"]
    assert pdfmetrics.instanceStringWidthT1 is rl_accel._c_funcs["instanceStringWidthT1"]
