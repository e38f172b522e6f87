"""Attribute vocabularies written once: OME-Zarr 0.5 (:mod:`.ome`) and CF (:mod:`.cf`).

Domains call these builders; a convention fact (a key name, a version) lives in one place.
"""
