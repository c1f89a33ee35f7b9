/// Mean Earth radius in km (IUGG), the usual choice for the haversine formula.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Returns the great-circle distance in km between two points given in degrees, by the
/// haversine formula. Its error against the ellipsoid is below 0.5 %, far under the accuracy
/// radius of IP geolocation.
pub fn distance_km(from: (f64, f64), to: (f64, f64)) -> f64 {
    let (latitude_1, longitude_1) = (from.0.to_radians(), from.1.to_radians());
    let (latitude_2, longitude_2) = (to.0.to_radians(), to.1.to_radians());
    let half_chord = ((latitude_2 - latitude_1) / 2.0).sin().powi(2)
        + latitude_1.cos() * latitude_2.cos() * ((longitude_2 - longitude_1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * half_chord.sqrt().clamp(0.0, 1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paris_to_new_york() {
        let distance = distance_km((48.8566, 2.3522), (40.7128, -74.0060));
        assert!((distance - 5837.0).abs() < 10.0, "{distance}");
    }

    #[test]
    fn same_point_is_zero() {
        assert_eq!(distance_km((10.0, 20.0), (10.0, 20.0)), 0.0);
    }

    #[test]
    fn antipodes_are_half_the_circumference() {
        let distance = distance_km((0.0, 0.0), (0.0, 180.0));
        assert!((distance - 20015.0).abs() < 5.0, "{distance}");
    }
}
