"""TFDS dataset builders made by the zoo (importing one registers it with TFDS)."""
