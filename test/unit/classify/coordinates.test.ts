/**
 * Precise coordinates inside China: the coarse mainland outline (china-polygon.json), the
 * precision rule, pairs in one string in either order, and field names that name a pair's halves.
 */
import { describe, expect, it } from 'vitest';
import { CHINA, coordinateAxis, findCoordinates, inside, polygonFrom } from '../../../agent/classify/detectors/coordinates.js';

// [longitude, latitude]
const IN_CHINA: Record<string, [number, number]> = {
  Beijing: [116.4, 39.9], Shanghai: [121.47, 31.23], Nanning: [108.366, 22.817], Urumqi: [87.62, 43.83], Lhasa: [91.13, 29.65],
  Harbin: [126.64, 45.76], Kashgar: [75.99, 39.47], Sanya: [109.51, 18.25], Haikou: [110.33, 20.03], Xiamen: [118.09, 24.48],
  Mohe: [122.53, 52.97], Hunchun: [130.37, 42.87], Fuyuan: [134.29, 48.36], Jinghong: [100.8, 22.0], Dandong: [124.38, 40.13],
  Qingdao: [120.38, 36.07], Shenzhen: [114.06, 22.54], Beihai: [109.12, 21.48], Manzhouli: [117.43, 49.6], Altay: [88.13, 47.85],
  Yadong: [88.9, 27.5], Ruili: [97.85, 24.01], Hekou: [103.95, 22.51], Ngari: [80.1, 32.5], Tashkurgan: [75.23, 37.77],
};
const ABROAD: Record<string, [number, number]> = {
  Taipei: [121.56, 25.03], Kaohsiung: [120.3, 22.6], Penghu: [119.57, 23.57], Tokyo: [139.69, 35.69], Seoul: [126.98, 37.57],
  Pyongyang: [125.75, 39.03], Ulaanbaatar: [106.9, 47.9], Hanoi: [105.85, 21.03], Kathmandu: [85.32, 27.7], Thimphu: [89.64, 27.47],
  Gangtok: [88.61, 27.33], Leh: [77.58, 34.16], Almaty: [76.9, 43.24], Bishkek: [74.6, 42.87], Vladivostok: [131.9, 43.1],
  Khabarovsk: [135.07, 48.48], Myitkyina: [97.4, 25.38], Manila: [120.98, 14.6], NullIsland: [0, 0],
};

describe('the mainland outline', () => {
  it('holds 30 to 70 vertices', () => {
    expect(CHINA.vertices.length).toBeGreaterThanOrEqual(30);
    expect(CHINA.vertices.length).toBeLessThanOrEqual(70);
  });

  it.each(Object.entries(IN_CHINA))('holds %s', (_city, [lon, lat]) => {
    expect(inside(CHINA, lon, lat)).toBe(true);
  });

  it.each(Object.entries(ABROAD))('leaves out %s', (_city, [lon, lat]) => {
    expect(inside(CHINA, lon, lat)).toBe(false);
  });

  it('is replaceable by any polygon that parses', () => {
    const tokyoBox = polygonFrom({ vertices: [[139, 35], [140, 35], [140, 36], [139, 36]] });
    expect(inside(tokyoBox, 139.69, 35.69)).toBe(true);
    expect(inside(tokyoBox, 116.4, 39.9)).toBe(false);
    expect(() => polygonFrom({ vertices: [[1, 2]] })).toThrow(/at least 3/);
    expect(() => polygonFrom({ vertices: [[1, 2], [3, 4], [200, 5]] })).toThrow(/vertex 2/);
    expect(() => polygonFrom(null)).toThrow();
  });
});

describe('coordinate pairs in a string', () => {
  it.each([
    ['22.81712, 108.36654', '22.81712,108.36654'],
    ['108.36654,22.81712', '22.81712,108.36654'],
    ['22.81712，108.36654', '22.81712,108.36654'],
    ['POINT(116.40741 39.90421)', '39.90421,116.40741'],
    ['位置：22.8171,108.3665（南宁）', '22.8171,108.3665'],
  ])('takes %s', (text, value) => {
    expect(findCoordinates(text)).toEqual([value]);
  });

  it('needs 4 decimal places in both numbers by default, fewer if asked', () => {
    expect(findCoordinates('22.817, 108.366')).toEqual([]);
    expect(findCoordinates('22.8171, 108.366')).toEqual([]);
    expect(findCoordinates('22.817, 108.366', 3)).toEqual(['22.817,108.366']);
    expect(findCoordinates('22.8171, 108.3665', 5)).toEqual([]);
  });

  it('leaves precise pairs outside the outline', () => {
    expect(findCoordinates('35.6895, 139.6917')).toEqual([]); // Tokyo
    expect(findCoordinates('25.0330, 121.5654')).toEqual([]); // Taipei
    expect(findCoordinates('35.6895, 139.6917', 4, polygonFrom({ vertices: [[139, 35], [140, 35], [140, 36], [139, 36]] }))).toEqual(['35.6895,139.6917']);
  });

  it('leaves prices, exchange rates, versions and dotted runs', () => {
    for (const s of ['12.5000, 13.0000', '7.1234, 0.1404', '1.2.3.4', '22.81712.108.36654', '22.81712, 108.36654.1', 'a22.81712, 108.36654'])
      expect(findCoordinates(s), s).toEqual([]);
  });
});

describe('field names that name a coordinate half', () => {
  it.each([
    ['lat', 'lat', ''],
    ['latitude', 'lat', ''],
    ['lng', 'lon', ''],
    ['lon', 'lon', ''],
    ['longitude', 'lon', ''],
    ['gpsLat', 'lat', 'gps'],
    ['gpsLng', 'lon', 'gps'],
    ['pickup_latitude', 'lat', 'pickup'],
    ['PICKUP_LONGITUDE', 'lon', 'pickup'],
    ['收货纬度', 'lat', '收货'],
    ['收货经度', 'lon', '收货'],
    ['weidu', 'lat', ''],
    ['jingdu', 'lon', ''],
  ])('reads %s', (key, axis, prefix) => {
    expect(coordinateAxis(key)).toEqual({ axis, prefix });
  });

  it('leaves words that merely end in the letters', () => {
    for (const k of ['float', 'flat', 'salon', 'belong', 'GPSLAT', 'platform', 'along']) expect(coordinateAxis(k), k).toBeUndefined();
  });
});
