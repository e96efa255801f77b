"""Drop-in modules with the anchors' own names and signatures.

``from fastscore.compat import vendi_score`` stands in for
``from vendi_score import vendi``.
"""
