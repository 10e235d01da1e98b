namespace Shop.Core;

public sealed class UnrelatedWeatherStation
{
    public double ReadBarometricPressure() => 1013.25;
}
