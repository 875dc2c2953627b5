"""Appeals (phúc khảo) of written parts (docs/domain.md §9). Today: the appeal window in
working days with the year's public holidays, and the re-marking's rules on plain values;
filing, the re-marking board's blind marking and the new ranking: not yet (#14)."""
