"""No-op agent: does nothing and exits 0. Every scenario must leave it unsatisfied."""
import sys

sys.stdin.read()
