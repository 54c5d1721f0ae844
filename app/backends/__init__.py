"""Answer backends behind one Protocol, chosen by name."""
