//! Dunning policies and the planner (being written).
