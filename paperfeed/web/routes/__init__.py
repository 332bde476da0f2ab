"""HTTP routes, one module per audience: pages, our JSON API, Hugging Face's API, feeds."""
