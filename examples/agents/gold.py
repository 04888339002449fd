"""Gold agent: carries out each example scenario's task exactly as asked."""
from dtu_agent import Style, prompt, solve

solve(prompt(), Style())
