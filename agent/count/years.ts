/**
 * The years a gateway knows already have counted persons in the store: it saw the year's key pin
 * at start, its evidence holds counted persons of the year, or it counted some itself. The store
 * is told, per transfer, to expect such a year; finding no pin then means the store lost its data
 * (XB_STORE_LOST), and counting on from zero would under-count.
 */
export class CountedYears {
  private readonly years = new Set<number>();
  has = (year: number): boolean => this.years.has(year);
  add = (year: number): void => void this.years.add(year);
  list = (): number[] => [...this.years].sort();
}
