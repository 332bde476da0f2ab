"""The bundled demo: real papers and a recorded Hugging Face day, loaded into an empty
store on first start so that a fresh instance shows the whole product offline."""

from paperfeed.demo.loader import RECORDED_DAY, DemoReport, demo_pending, load_demo

__all__ = ["RECORDED_DAY", "DemoReport", "demo_pending", "load_demo"]
