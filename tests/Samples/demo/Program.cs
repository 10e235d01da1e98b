using System;

namespace Demo;

public static class Program
{
    public static int Add(int left, int right)
    {
        return left + right;
    }

    public static void Main()
    {
        var total = Add(2, 3);
        Console.WriteLine(total);
    }
}
